package httpx

import (
	"encoding/base64"
	"strconv"

	"github.com/labstack/echo/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Page is one page of a list, with the cursor of the next page when there is one.
type Page[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// PageParams are the limit and position of a cursor-paginated list request.
type PageParams struct {
	Limit int
	After bson.ObjectID // zero: from the newest
}

// Pagination reads ?limit= (1–max, default def) and ?cursor= from the query.
func Pagination(c *echo.Context, def, maxLimit int) (PageParams, error) {
	p := PageParams{Limit: def}
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			return p, BadField("limit", "must be a whole number from 1 to "+strconv.Itoa(maxLimit))
		}
		p.Limit = n
	}
	if s := c.QueryParam("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) != 12 {
			return p, BadField("cursor", "is not a cursor this API returned")
		}
		copy(p.After[:], b)
	}
	return p, nil
}

// Filter adds the cursor position to a newest-first query on _id.
func (p PageParams) Filter(f bson.D) bson.D {
	if p.After.IsZero() {
		return f
	}
	return append(f, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: p.After}}})
}

// NewPage trims rows fetched with limit+1 to one page and sets the next cursor from the last
// row kept.
func NewPage[T any](rows []T, limit int, id func(T) bson.ObjectID) Page[T] {
	if rows == nil {
		rows = []T{}
	}
	if len(rows) <= limit {
		return Page[T]{Data: rows}
	}
	rows = rows[:limit]
	last := id(rows[limit-1])
	return Page[T]{Data: rows, NextCursor: base64.RawURLEncoding.EncodeToString(last[:])}
}

// PathID parses the :id path parameter. A malformed id is notFound, the caller's sentinel
// for an unknown one: to a client, an id that cannot exist is as absent as one that does not.
func PathID(c *echo.Context, notFound error) (bson.ObjectID, error) {
	id, err := bson.ObjectIDFromHex(c.Param("id"))
	if err != nil {
		return id, notFound
	}
	return id, nil
}
