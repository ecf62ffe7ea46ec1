package apikey

import (
	"strings"

	"github.com/labstack/echo/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
)

const ctxKey = "apikey.key"

// Authenticate resolves the bearer key; every handler behind it acts in the key's workspace
// (WorkspaceOf).
func (s *Store) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		auth := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, secret, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="surveyd"`)
			return ErrUnauthorized
		}
		k, err := s.Find(c.Request().Context(), strings.TrimSpace(secret))
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="surveyd", error="invalid_token"`)
			return err
		}
		c.Set(ctxKey, k)
		return next(c)
	}
}

// RequireScope lets through requests whose key has at least scope.
func RequireScope(scope Scope) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			if !KeyOf(c).Scope.Allows(scope) {
				return ErrForbidden
			}
			return next(c)
		}
	}
}

// KeyOf is the key that authenticated the request; only handlers behind Authenticate ask.
func KeyOf(c *echo.Context) *Key { return c.Get(ctxKey).(*Key) }

// WorkspaceOf is the workspace every query of an authenticated request is scoped to.
func WorkspaceOf(c *echo.Context) bson.ObjectID { return KeyOf(c).WorkspaceID }
