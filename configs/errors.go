package configs

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem found in a config file: where it is and what to do
// about it. Line and Column are 1-based (the column of a YAML syntax error
// is the best guess described at Parse).
type Error struct {
	File   string
	Line   int
	Column int
	// Field is the path of the field, "scan.dwell" or
	// "radio.dongles[1].gain"; empty for YAML syntax errors.
	Field string
	// Msg says what is wrong, with the allowed values.
	Msg string
}

// Error formats the problem as file:line:col: message, the form editors
// and CI annotations jump to.
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors is every problem found in one file, in file order. Parse and Load
// return it as their error, so that a technician fixes everything in one
// pass; errors.As gets it back.
type Errors []*Error

// Error lists the problems one per line.
func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap gives the problems to errors.Is and errors.As one by one.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sortErrors puts problems in file order; problems at the same place keep
// the order they were found in.
func sortErrors(es []*Error) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Column < es[j].Column
	})
}
