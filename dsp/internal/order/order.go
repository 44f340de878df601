// Package order holds order statistics the DSP stages share.
package order

import "cmp"

// Select returns the element a sort of v would put at index k, reordering
// v: Hoare's quickselect, a fraction of a sort's comparisons. v must hold
// no NaN (it compares false both ways and would break the partition);
// callers that may see one sort instead.
func Select[T cmp.Ordered](v []T, k int) T {
	lo, hi := 0, len(v)-1
	for lo < hi {
		pivot := v[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}
