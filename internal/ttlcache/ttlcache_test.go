package ttlcache

import (
	"errors"
	"testing"
	"time"
)

// start is the fake clock's first reading; the cache only ever sees the times it is given.
var start = time.Date(2026, 6, 17, 8, 0, 0, 0, time.UTC)

func TestGetPutExpire(t *testing.T) {
	c := New[string, int](5 * time.Second)
	if _, ok := c.Get("a", start); ok {
		t.Fatal("an empty cache has a value")
	}
	one := 1
	c.Put("a", &one, start)
	for name, tc := range map[string]struct {
		after time.Duration
		want  bool
	}{
		"at once":        {0, true},
		"within the ttl": {4 * time.Second, true},
		"at the ttl":     {5 * time.Second, true},
		"past the ttl":   {5*time.Second + time.Nanosecond, false},
	} {
		v, ok := c.Get("a", start.Add(tc.after))
		if ok != tc.want || (ok && *v != 1) {
			t.Errorf("%s: Get = %v, %v; want found %v", name, v, ok, tc.want)
		}
	}
	c.Forget("a")
	if _, ok := c.Get("a", start); ok {
		t.Error("a forgotten value is still there")
	}
}

func TestThrough(t *testing.T) {
	c := New[int, string](time.Second)
	loads := 0
	load := func(v string) func() (*string, error) {
		return func() (*string, error) { loads++; return &v, nil }
	}
	get := func(at time.Duration, fits func(*string) bool, l func() (*string, error)) string {
		t.Helper()
		v, err := c.Through(7, start.Add(at), fits, l)
		if err != nil {
			t.Fatal(err)
		}
		return *v
	}
	if v := get(0, Always[string], load("first")); v != "first" || loads != 1 {
		t.Fatalf("first read %q after %d loads", v, loads)
	}
	if v := get(time.Second/2, Always[string], load("second")); v != "first" || loads != 1 {
		t.Errorf("a fresh value was loaded again: %q after %d loads", v, loads)
	}
	if v := get(time.Second/2, func(s *string) bool { return *s != "first" }, load("fitting")); v != "fitting" || loads != 2 {
		t.Errorf("a value that does not fit was kept: %q after %d loads", v, loads)
	}
	if v := get(2*time.Second, Always[string], load("later")); v != "later" || loads != 3 {
		t.Errorf("an expired value was used: %q after %d loads", v, loads)
	}

	boom := errors.New("boom")
	c.Forget(7)
	if _, err := c.Through(7, start, Always[string], func() (*string, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("load error %v, want %v", err, boom)
	}
	if _, ok := c.Get(7, start); ok {
		t.Error("a failed load left a value")
	}
}

// A full cache empties itself rather than grow without bound.
func TestBounded(t *testing.T) {
	c := New[int, int](time.Hour)
	for i := range MaxEntries {
		c.Put(i, &i, start)
	}
	if _, ok := c.Get(MaxEntries-1, start); !ok {
		t.Fatal("the last value put before the bound is missing")
	}
	last := MaxEntries
	c.Put(last, &last, start)
	if _, ok := c.Get(0, start); ok {
		t.Error("the cache grew past MaxEntries")
	}
	if v, ok := c.Get(last, start); !ok || *v != last {
		t.Error("the value put past the bound is missing")
	}
	if len(c.entries) != 1 {
		t.Errorf("%d entries after emptying, want 1", len(c.entries))
	}
}
