package configs

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Edit is one change for EditYAML: the value at Path (mapping keys from
// the top of the document, e.g. calibration, ppm) becomes the plain
// scalar Value (a number with its unit, as a person would write it).
type Edit struct {
	Path  []string
	Value string
}

// EditYAML applies edits to a YAML document as a person would with an
// editor, keeping every other byte — comments, blank lines, key order,
// quoting — as it was: a scalar that exists has its text replaced on its
// line (a comment after it stays); a key that does not exist is added as
// the last entry of its block mapping, at the indentation of its
// siblings, creating the mappings on its path as needed (at the end of
// the file for a new top-level section). New keys that are not plain
// words are double-quoted. Flow-style mappings ({a: 1}), multi-line
// scalars, anchors and aliases on the path are refused: they cannot be
// edited without rewriting what a person wrote. Each edit is checked by
// parsing the result and reading the value back. name is for messages.
func EditYAML(name string, data []byte, edits ...Edit) ([]byte, error) {
	for _, e := range edits {
		if len(e.Path) == 0 {
			return nil, fmt.Errorf("%s: edit with an empty path", name)
		}
		if strings.ContainsAny(e.Value, "\n\r") || e.Value == "" {
			return nil, fmt.Errorf("%s: %s: value %q is not a one-line scalar", name, strings.Join(e.Path, "."), e.Value)
		}
		out, err := editOne(name, data, e)
		if err != nil {
			return nil, err
		}
		if err := checkEdit(out, e); err != nil {
			return nil, fmt.Errorf("%s: %s: the edit did not read back (%v); the file is left as it was", name, strings.Join(e.Path, "."), err)
		}
		data = out
	}
	return data, nil
}

// errEdit builds an error naming the file, the field and the line.
func errEdit(name string, path []string, n *yaml.Node, format string, args ...any) error {
	where := name
	if n != nil && n.Line > 0 {
		where = fmt.Sprintf("%s:%d", name, n.Line)
	}
	return fmt.Errorf("%s: %s: %s", where, strings.Join(path, "."), fmt.Sprintf(format, args...))
}

func editOne(name string, data []byte, e Edit) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	lines := lineStarts(data)
	nl := "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		nl = "\r\n"
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		// An empty document: the whole path is new.
		return appendAt(data, len(data), newLines(e.Path, e.Value, "", nl), nl), nil
	}
	m := doc.Content[0]
	for k, key := range e.Path {
		p := e.Path[:k+1]
		if m.Kind != yaml.MappingNode {
			return nil, errEdit(name, p[:k], m, "is not a mapping")
		}
		if m.Style&yaml.FlowStyle != 0 && len(m.Content) > 0 {
			return nil, errEdit(name, p[:k], m, "is written in flow style ({…}); write it as a block to let it be edited")
		}
		var kn, vn *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				kn, vn = m.Content[i], m.Content[i+1]
			}
		}
		if kn == nil {
			// Add the rest of the path as the mapping's last entry.
			if len(m.Content) == 0 {
				return nil, errEdit(name, p[:k], m, "is an empty mapping")
			}
			indent := strings.Repeat(" ", m.Content[0].Column-1)
			at := endOf(m, lines, data)
			return appendAt(data, at, newLines(e.Path[k:], e.Value, indent, nl), nl), nil
		}
		if vn.Kind == yaml.AliasNode || vn.Anchor != "" {
			return nil, errEdit(name, p, vn, "uses an anchor or alias; edit it by hand")
		}
		last := k == len(e.Path)-1
		if last {
			if vn.Kind != yaml.ScalarNode {
				return nil, errEdit(name, p, vn, "is a %s, not a single value", nodeKindName(vn))
			}
			if vn.Tag == "!!null" && vn.Value == "" {
				// "key:" with nothing after it: write after the colon.
				at := lineEnd(data, lines, kn.Line)
				return splice(data, at, at, " "+e.Value), nil
			}
			s, t, err := scalarSpan(data, lines, vn)
			if err != nil {
				return nil, errEdit(name, p, vn, "%v", err)
			}
			return splice(data, s, t, e.Value), nil
		}
		switch {
		case vn.Kind == yaml.MappingNode && len(vn.Content) > 0:
			m = vn
		case vn.Kind == yaml.MappingNode || vn.Kind == yaml.ScalarNode && vn.Tag == "!!null":
			// "key:" or "key: {}": the children go on the next lines.
			at := lineEnd(data, lines, kn.Line)
			s := at
			if vn.Kind == yaml.MappingNode {
				var err error
				if s, _, err = flowSpan(data, lines, vn); err != nil {
					return nil, errEdit(name, p, vn, "%v", err)
				}
				for s > 0 && data[s-1] == ' ' {
					s--
				}
			}
			indent := strings.Repeat(" ", kn.Column-1+2)
			out := splice(data, s, at, "")
			return appendAt(out, s, newLines(e.Path[k+1:], e.Value, indent, nl), nl), nil
		default:
			return nil, errEdit(name, p, vn, "is a %s, not a mapping", nodeKindName(vn))
		}
	}
	return nil, errors.New("unreachable")
}

func nodeKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	}
	return "node"
}

// newLines renders path: value as nested block mappings at indent.
func newLines(path []string, value, indent, nl string) string {
	var b strings.Builder
	for i, k := range path {
		b.WriteString(indent)
		b.WriteString(strings.Repeat("  ", i))
		b.WriteString(quoteKey(k))
		b.WriteString(":")
		if i == len(path)-1 {
			b.WriteString(" ")
			b.WriteString(value)
		}
		b.WriteString(nl)
	}
	return b.String()
}

// quoteKey double-quotes a key unless it is a plain word.
func quoteKey(k string) string {
	for i, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || i > 0 && (r >= '0' && r <= '9' || r == '-')) {
			return strconv.Quote(k)
		}
	}
	if k == "" || k == "true" || k == "false" || k == "null" || k == "yes" || k == "no" || k == "on" || k == "off" {
		return strconv.Quote(k)
	}
	return k
}

// lineStarts returns the byte offset of the start of each line (1-based
// index: starts[1] is line 1).
func lineStarts(data []byte) []int {
	starts := []int{0, 0}
	for i, c := range data {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// offset is the byte offset of a node's line and column (columns count
// characters).
func offset(data []byte, lines []int, line, col int) int {
	if line >= len(lines) {
		return len(data)
	}
	o := lines[line]
	for c := 1; c < col && o < len(data); c++ {
		_, size := utf8.DecodeRune(data[o:])
		o += size
	}
	return o
}

// lineEnd is the offset of the end of line (before its newline).
func lineEnd(data []byte, lines []int, line int) int {
	o := lines[line]
	for o < len(data) && data[o] != '\n' && data[o] != '\r' {
		o++
	}
	return o
}

// scalarSpan is the byte range of a one-line scalar's text.
func scalarSpan(data []byte, lines []int, n *yaml.Node) (int, int, error) {
	s := offset(data, lines, n.Line, n.Column)
	end := lineEnd(data, lines, n.Line)
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := s + 1; i < end; i++ {
			switch data[i] {
			case '\\':
				i++
			case '"':
				return s, i + 1, nil
			}
		}
		return 0, 0, errors.New("a quoted value over several lines")
	case n.Style&yaml.SingleQuotedStyle != 0:
		for i := s + 1; i < end; i++ {
			if data[i] == '\'' {
				if i+1 < end && data[i+1] == '\'' {
					i++
					continue
				}
				return s, i + 1, nil
			}
		}
		return 0, 0, errors.New("a quoted value over several lines")
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, 0, errors.New("a block scalar (| or >)")
	}
	t := end
	if i := bytes.Index(data[s:end], []byte(" #")); i >= 0 {
		t = s + i
	}
	for t > s && (data[t-1] == ' ' || data[t-1] == '\t') {
		t--
	}
	if string(data[s:t]) != n.Value && !strings.HasPrefix(n.Value, string(data[s:t])) {
		return 0, 0, fmt.Errorf("cannot find the value %q on line %d", n.Value, n.Line)
	}
	if n.Value != string(data[s:t]) {
		return 0, 0, errors.New("a value over several lines")
	}
	return s, t, nil
}

// flowSpan is the byte range of an empty flow mapping "{}".
func flowSpan(data []byte, lines []int, n *yaml.Node) (int, int, error) {
	s := offset(data, lines, n.Line, n.Column)
	end := lineEnd(data, lines, n.Line)
	if s < end && data[s] == '{' {
		for i := s + 1; i < end; i++ {
			if data[i] == '}' {
				return s, i + 1, nil
			}
			if data[i] != ' ' {
				break
			}
		}
	}
	return 0, 0, errors.New("cannot find its {}")
}

// endOf is the offset of the start of the line after the last line of
// node n (its deepest, last descendant).
func endOf(n *yaml.Node, lines []int, data []byte) int {
	last := n.Line
	var walk func(*yaml.Node)
	walk = func(x *yaml.Node) {
		last = max(last, x.Line)
		for _, c := range x.Content {
			walk(c)
		}
	}
	walk(n)
	if last+1 < len(lines) {
		return lines[last+1]
	}
	return len(data)
}

// appendAt inserts text at offset at, which is the start of a line or the
// end of the data (a newline is added first when the data does not end
// with one).
func appendAt(data []byte, at int, text, nl string) []byte {
	if at == len(data) && at > 0 && data[at-1] != '\n' {
		text = nl + text
	}
	if at < len(data) && at > 0 && data[at-1] != '\n' {
		// Inserting after the end of a line that is not the last.
		text = nl + strings.TrimSuffix(text, nl)
	}
	return splice(data, at, at, text)
}

func splice(data []byte, s, t int, text string) []byte {
	out := make([]byte, 0, len(data)-(t-s)+len(text))
	out = append(out, data[:s]...)
	out = append(out, text...)
	return append(out, data[t:]...)
}

// checkEdit parses data and checks that e.Path holds e.Value.
func checkEdit(data []byte, e Edit) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		return errors.New("empty document")
	}
	n := doc.Content[0]
	for _, key := range e.Path {
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%q is not under a mapping", key)
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				if next != nil {
					return fmt.Errorf("key %q twice", key)
				}
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return fmt.Errorf("key %q missing", key)
		}
		n = next
	}
	if n.Kind != yaml.ScalarNode || n.Value != e.Value {
		return fmt.Errorf("reads %q", n.Value)
	}
	return nil
}
