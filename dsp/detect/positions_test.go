package detect

import (
	"slices"
	"testing"
)

func TestPositions(t *testing.T) {
	tests := []struct {
		name    string
		bins, w int
		want    []int
	}{
		{"one bin wide", 4, 1, []int{0, 1, 2, 3}},
		{"quarter steps, last flush", 10, 4, []int{0, 1, 2, 3, 4, 5, 6}},
		{"last placement added", 10, 8, []int{0, 2}},
		{"whole window", 8, 8, []int{0}},
		{"steps of five", 32, 21, []int{0, 5, 10, 11}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Positions(tt.bins, tt.w)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Positions(%d, %d) = %v, want %v", tt.bins, tt.w, got, tt.want)
			}
			for _, p := range got {
				if p < 0 || p+tt.w > tt.bins {
					t.Errorf("placement %d..%d outside %d bins", p, p+tt.w, tt.bins)
				}
			}
		})
	}
}
