package apikey

import (
	"errors"
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/apitest"
	"github.com/surveyd/surveyd/internal/storetest"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// A key works from creation until it is revoked, by id, prefix or name, and only in its
// workspace; the store keeps its hash, never the secret.
func TestKeyLifecycle(t *testing.T) {
	keys := NewStore(storetest.DB(t))
	ctx := t.Context()
	ws, other := bson.NewObjectID(), bson.NewObjectID()
	k, secret, err := keys.Create(ctx, ws, "crm", ScopeWrite)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := keys.Find(ctx, secret); err != nil || got.ID != k.ID || got.WorkspaceID != ws || got.Scope != ScopeWrite {
		t.Fatalf("Find(secret) = %+v, %v", got, err)
	}
	for name, s := range map[string]string{"forged": secret[:len(secret)-1] + "x", "no prefix": "hunter2", "empty": ""} {
		if _, err := keys.Find(ctx, s); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("Find(%s) = %v, want ErrUnauthorized", name, err)
		}
	}
	if err := keys.Revoke(ctx, other, k.Prefix); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke from another workspace = %v, want ErrNotFound", err)
	}
	if err := keys.Revoke(ctx, ws, k.Prefix); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Find(ctx, secret); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Find(revoked) = %v, want ErrUnauthorized", err)
	}
	_, named, _ := keys.Create(ctx, ws, "demo", ScopeAdmin)
	if err := keys.RevokeNamed(ctx, ws, "demo"); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Find(ctx, named); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Find(revoked by name) = %v, want ErrUnauthorized", err)
	}
	list, err := keys.List(ctx, ws)
	if err != nil || len(list) != 2 || list[0].Name != "demo" || list[1].RevokedAt == nil || string(list[1].Hash) == secret {
		t.Fatalf("List = %+v, %v", list, err)
	}
}

func TestScopes(t *testing.T) {
	keys := NewStore(storetest.DB(t))
	ws := bson.NewObjectID()
	secret := func(s Scope) string {
		_, sec, err := keys.Create(t.Context(), ws, "t", s)
		if err != nil {
			t.Fatal(err)
		}
		return sec
	}
	e := echo.New()
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		status, _, _ := ErrorStatus(err)
		_ = c.NoContent(status)
	}
	g := e.Group("", keys.Authenticate)
	g.GET("/ws", func(c *echo.Context) error { return c.String(http.StatusOK, WorkspaceOf(c).Hex()) }, RequireScope(ScopeRead))
	g.POST("/admin", func(c *echo.Context) error { return c.NoContent(http.StatusNoContent) }, RequireScope(ScopeAdmin))
	read, admin := secret(ScopeRead), secret(ScopeAdmin)
	tests := map[string]struct {
		method, path, key string
		status            int
	}{
		"no key":            {"GET", "/ws", "", 401},
		"read reads":        {"GET", "/ws", read, 200},
		"read cannot admin": {"POST", "/admin", read, 403},
		"admin reads":       {"GET", "/ws", admin, 200},
		"admin admins":      {"POST", "/admin", admin, 204},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rec := apitest.Do(t, e, tc.method, tc.path, tc.key, nil)
			if rec.Code != tc.status || (tc.status == 200 && rec.Body.String() != ws.Hex()) {
				t.Fatalf("%s %s = %d %q, want %d", tc.method, tc.path, rec.Code, rec.Body, tc.status)
			}
		})
	}
	if _, err := ParseScope("root"); err == nil {
		t.Error(`ParseScope("root") succeeded`)
	}
}
