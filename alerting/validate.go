package alerting

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printer renders the validator's messages; the library needs one.
var printer = message.NewPrinter(language.English)

// Schemas holds the JSON Schema documents of schema v1, one per message
// kind (status.json, health.json, alert.json, burst.json) and the
// definitions they share (common.json). They are the reference for anyone
// writing a consumer; Validate checks messages against them.
//
//go:embed schema/*.json
var Schemas embed.FS

const schemaBase = "https://cellsentry.org/schema/v1/"

var (
	compileOnce sync.Once
	compiled    map[string]*jsonschema.Schema
	compileErr  error
)

func compileSchemas() {
	c := jsonschema.NewCompiler()
	c.AssertFormat() // a "time" that is not RFC 3339 is a malformed message
	for _, f := range []string{"common", KindStatus, KindHealth, KindAlert, KindBurst} {
		data, err := Schemas.ReadFile("schema/" + f + ".json")
		if err != nil {
			compileErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			compileErr = fmt.Errorf("schema/%s.json: %w", f, err)
			return
		}
		if err := c.AddResource(schemaBase+f+".json", doc); err != nil {
			compileErr = fmt.Errorf("schema/%s.json: %w", f, err)
			return
		}
	}
	compiled = make(map[string]*jsonschema.Schema)
	for _, k := range []string{KindStatus, KindHealth, KindAlert, KindBurst} {
		s, err := c.Compile(schemaBase + k + ".json")
		if err != nil {
			compileErr = fmt.Errorf("schema/%s.json: %w", k, err)
			return
		}
		compiled[k] = s
	}
}

// ErrInvalid is wrapped by every error of Validate about the message
// itself (as opposed to an unknown kind).
var ErrInvalid = errors.New("invalid message")

// Validate checks one message of the given kind (KindStatus, KindHealth,
// KindAlert, KindBurst) against its JSON Schema. The error names the
// offending field, e.g. `invalid message alert: at /rev: minimum: got -3,
// want 0`. It is the hand-written validator of validate_fast.go, which
// accepts and refuses the same messages as the JSON Schema library with
// schema/*.json (validateReference, kept to prove it in the tests),
// without allocating for a valid message; the first failure found is
// reported (the library lists up to four).
func Validate(kind string, msg []byte) error {
	return validateFast(kind, msg)
}

// validateReference checks msg with the JSON Schema library against
// schema/*.json: the reference that Validate must agree with.
func validateReference(kind string, msg []byte) error {
	compileOnce.Do(compileSchemas)
	if compileErr != nil {
		return fmt.Errorf("alerting: schemas do not compile: %w", compileErr)
	}
	s, ok := compiled[kind]
	if !ok {
		return fmt.Errorf("alerting: no schema for message kind %q", kind)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(msg))
	if err != nil {
		return fmt.Errorf("%w %s: not JSON: %v", ErrInvalid, kind, err)
	}
	if err := s.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%w %s: %s", ErrInvalid, kind, flatten(ve))
		}
		return fmt.Errorf("%w %s: %v", ErrInvalid, kind, err)
	}
	return nil
}

// flatten turns the validator's tree of causes into one line naming the
// deepest failures, e.g. `at /rev: minimum: got -1, want 0`.
func flatten(ve *jsonschema.ValidationError) string {
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/"
			if len(e.InstanceLocation) > 0 {
				loc = ""
				for _, p := range e.InstanceLocation {
					loc += "/" + p
				}
			}
			leaves = append(leaves, "at "+loc+": "+e.ErrorKind.LocalizedString(printer))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	out := ""
	for i, l := range leaves {
		if i == 4 {
			out += fmt.Sprintf("; and %d more", len(leaves)-i)
			break
		}
		if i > 0 {
			out += "; "
		}
		out += l
	}
	return out
}
