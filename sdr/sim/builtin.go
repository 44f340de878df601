package sim

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
)

//go:embed scenes/*.yaml
var sceneFS embed.FS

// BuiltinInfo names a built-in scene.
type BuiltinInfo struct {
	Name        string
	Description string
}

// Builtins lists the built-in scenes, sorted by name: quiet-night,
// gsm-call, lte-data, interference, busy-wing, jammer and three-wings. Their YAML files
// (scenes/*.yaml in this package) are the reference examples of the
// format.
func Builtins() []BuiltinInfo {
	entries, _ := sceneFS.ReadDir("scenes")
	var out []BuiltinInfo
	for _, e := range entries {
		sc, err := Builtin(strings.TrimSuffix(e.Name(), ".yaml"))
		if err != nil {
			// The embedded files are tested; a broken one is a build bug.
			panic(err)
		}
		out = append(out, BuiltinInfo{Name: sc.Name, Description: sc.Description})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Builtin returns a fresh copy of the built-in scene called name.
func Builtin(name string) (*Scene, error) {
	data, err := sceneFS.ReadFile(path.Join("scenes", name+".yaml"))
	if err != nil {
		var names []string
		entries, _ := sceneFS.ReadDir("scenes")
		for _, e := range entries {
			names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
		}
		msg := fmt.Sprintf("sim: no built-in scene %q (have %s)", name, strings.Join(names, ", "))
		if s := nearest(name, names); s != "" {
			msg = fmt.Sprintf("sim: no built-in scene %q (did you mean %s?)", name, s)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return Parse(data, "scenes/"+name+".yaml")
}
