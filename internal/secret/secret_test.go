package secret

import (
	"crypto/subtle"
	"strings"
	"testing"
)

// TestEqual: Equal agrees with ==, for every length around the word size
// and a difference in every position.
func TestEqual(t *testing.T) {
	for n := 0; n <= 40; n++ {
		a := strings.Repeat("x", n)
		if !Equal(a, a) || !New(a).Equal(New(a)) {
			t.Errorf("Equal(%q, itself) = false", a)
		}
		if n > 0 && Equal(a, a[1:]) {
			t.Errorf("Equal of lengths %d and %d = true", n, n-1)
		}
		for i := range n {
			b := a[:i] + "y" + a[i+1:]
			if Equal(a, b) {
				t.Errorf("Equal(%q, %q) = true", a, b)
			}
		}
	}
}

// FuzzEqual: Equal is ==.
func FuzzEqual(f *testing.F) {
	f.Add("session-token", "session-tokeN")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := Equal(a, b), a == b; got != want {
			t.Errorf("Equal(%q, %q) = %v, want %v", a, b, got, want)
		}
	})
}

// BenchmarkEqual compares Equal with subtle.ConstantTimeCompare on a
// session token's length.
func BenchmarkEqual(b *testing.B) {
	x := strings.Repeat("IQoJb3JpZ2luX2VjE", 64)
	y := x[:len(x)-1] + "!"
	b.Run("Equal", func(b *testing.B) {
		for b.Loop() {
			Equal(x, y)
		}
	})
	b.Run("subtle", func(b *testing.B) {
		for b.Loop() {
			subtle.ConstantTimeCompare([]byte(x), []byte(y))
		}
	})
}
