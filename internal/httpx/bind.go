package httpx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v5"
)

// MaxBody is the largest request body any JSON endpoint reads; a batch of 1,000 invitations
// fits with room to spare.
const MaxBody = 2 << 20

// BindJSON decodes the request body strictly into v — one JSON object, no unknown fields,
// right types — then validates it. Every failure is a 4xx problem naming the field.
func BindJSON(c *echo.Context, v any) error {
	if err := DecodeBody(c, v); err != nil {
		return err
	}
	return Validate(v)
}

// DecodeBody is BindJSON without the validation, for handlers that tidy values first.
func DecodeBody(c *echo.Context, v any) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return NewProblem(http.StatusUnsupportedMediaType, "Send the body as application/json.")
		}
	}
	return DecodeJSON(http.MaxBytesReader(c.Response(), req.Body, MaxBody), v)
}

// DecodeJSON decodes exactly one JSON object from r into v, strictly at every depth: no
// unknown or repeated members, no text that is not valid UTF-8 (a lone surrogate escape
// included) and no NUL character, in member names as in values. encoding/json, which this
// replaces, would store U+FFFD for bad text, keep the last of two members, and let a custom
// UnmarshalJSON drop unknown members of the object it reads.
func DecodeJSON(r io.Reader, v any) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return decodeProblem(err)
	}
	if err := checkJSON(body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v, json.RejectUnknownMembers(true)); err != nil {
		return decodeProblem(err)
	}
	return nil
}

// checkJSON reads body token by token: one object, every string in it valid and NUL-free.
// json.Unmarshal checks the rest, against the Go type.
func checkJSON(body []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	switch k := dec.PeekKind(); k {
	case 'n', 't', 'f', '"', '0', '[':
		return BadField("body", "must be an object, got "+kindName(k))
	}
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return decodeProblem(err)
		}
		if tok.Kind() == '"' && strings.ContainsRune(tok.String(), 0) {
			return BadField(pointerPath(dec.StackPointer()), "must not contain NUL characters")
		}
		if dec.StackDepth() == 0 {
			break
		}
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return NewProblem(http.StatusBadRequest, "The body must hold a single JSON value; found more after it.")
	}
	return nil
}

// pointerPath spells a JSON Pointer the way problems name fields: "/invitations/3/email" is
// "invitations[3].email", the root is "body". A pointer does not tell an index from a member
// named by digits, which only free maps (interaction properties) can have: those read as an
// index too.
func pointerPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.ParseUint(tok, 10, 64); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

func decodeProblem(err error) error {
	var (
		syntax   *jsontext.SyntacticError
		semantic *json.SemanticError
		mbe      *http.MaxBytesError
		p        *Problem
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &mbe):
		return NewProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d bytes.", mbe.Limit))
	case errors.Is(err, io.EOF):
		return NewProblem(http.StatusBadRequest, "The request body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return NewProblem(http.StatusBadRequest, "The body is not valid JSON: it ends too early.")
	case errors.As(err, &syntax) && errors.Is(err, jsontext.ErrDuplicateName):
		return BadField(pointerPath(syntax.JSONPointer), "appears more than once")
	case errors.As(err, &syntax):
		field := pointerPath(syntax.JSONPointer)
		p := NewProblem(http.StatusBadRequest, fmt.Sprintf("The body is not valid JSON (at byte %d, in %s): %v.", syntax.ByteOffset, field, syntax.Err))
		p.Errors = []FieldError{{Field: field, Message: "is not valid JSON: " + syntax.Err.Error()}}
		return p
	case errors.As(err, &semantic) && errors.Is(err, json.ErrUnknownName):
		return BadField(pointerPath(semantic.JSONPointer), "is not a known field")
	case errors.As(err, &semantic) && semantic.GoType != nil:
		msg := "must be " + jsonKind(semantic.GoType)
		if semantic.JSONKind != 0 {
			msg += ", got " + kindName(semantic.JSONKind)
		}
		return BadField(pointerPath(semantic.JSONPointer), msg)
	}
	return NewProblem(http.StatusBadRequest, "The body could not be read as JSON: "+err.Error())
}

// kindName names a JSON kind in a message.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return string(k)
}

// Form reads a form body, URL-encoded or multipart, strictly: each field at most once, every
// name and value valid UTF-8 without NUL. net/http keeps every repeat (FormValue answers
// the first), any bytes, and drops a pair it cannot decode; no browser sends any of that, so
// it is refused whole rather than read one way. The URL's query is not part of the form.
// Call it before anything reads the form: a second parse does not see the errors.
func Form(c *echo.Context) (map[string]string, error) {
	req := c.Request()
	parse := req.ParseForm
	if mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); mt == "multipart/form-data" {
		parse = func() error { return req.ParseMultipartForm(1 << 20) }
	}
	if err := parse(); err != nil {
		var (
			he  *echo.HTTPError
			mbe *http.MaxBytesError
		)
		if errors.As(err, &he) || errors.As(err, &mbe) {
			return nil, err
		}
		return nil, NewProblem(http.StatusBadRequest, "The form could not be read: "+err.Error()+".")
	}
	form := make(map[string]string, len(req.PostForm))
	for _, name := range slices.Sorted(maps.Keys(req.PostForm)) {
		values := req.PostForm[name]
		switch {
		case !utf8.ValidString(name) || strings.ContainsRune(name, 0):
			return nil, NewProblem(http.StatusBadRequest, "A form field's name is not valid UTF-8 text or has a NUL character.")
		case len(values) > 1:
			return nil, BadField(name, "is sent more than once")
		case !utf8.ValidString(values[0]):
			return nil, BadField(name, "is not valid UTF-8 text")
		case strings.ContainsRune(values[0], 0):
			return nil, BadField(name, "must not contain NUL characters")
		}
		form[name] = values[0]
	}
	return form, nil
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[Timestamp]() {
		return "an RFC 3339 timestamp such as 2026-11-23T09:30:00Z"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

var (
	validateOnce sync.Once
	validate     *validator.Validate
)

// Validator is the shared validator, naming fields by their JSON names.
func Validator() *validator.Validate {
	validateOnce.Do(func() {
		validate = validator.New(validator.WithRequiredStructEnabled())
		validate.RegisterTagNameFunc(func(f reflect.StructField) string {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				return ""
			}
			return name
		})
		// singleline: for what ends up in an email header (a name, a sender), where a line
		// break would start another header and a control character has no business.
		if err := validate.RegisterValidation("singleline", func(fl validator.FieldLevel) bool {
			return !strings.ContainsFunc(fl.Field().String(), func(r rune) bool {
				return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
			})
		}); err != nil {
			panic(err)
		}
	})
	return validate
}

// Validate runs validator tags on v and turns failures into a 422 listing each field.
func Validate(v any) error {
	err := Validator().Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	out := make([]FieldError, 0, len(verrs))
	for _, fe := range verrs {
		out = append(out, FieldError{Field: fieldPath(fe.Namespace()), Message: message(fe)})
	}
	return Invalid(out...)
}

// fieldPath drops the Go type name validator puts first: "createReq.customer.email" → "customer.email".
func fieldPath(ns string) string {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		return ns
	}
	return rest
}

func message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "email":
		return "must be a valid email address"
	case "oneof":
		return "must be one of: " + strings.Join(strings.Fields(fe.Param()), ", ")
	case "max":
		if isText(fe) {
			return "must be at most " + fe.Param() + " characters"
		}
		if fe.Kind() == reflect.Slice {
			return "must have at most " + fe.Param() + " items"
		}
		return "must be at most " + fe.Param()
	case "min":
		if isText(fe) {
			return "must be at least " + fe.Param() + " characters"
		}
		if fe.Kind() == reflect.Slice {
			return "must have at least " + fe.Param() + " items"
		}
		return "must be at least " + fe.Param()
	case "gte":
		return "must be at least " + fe.Param()
	case "lte":
		return "must be at most " + fe.Param()
	case "len":
		return "must be exactly " + fe.Param() + " characters"
	case "iso3166_1_alpha2":
		return "must be a two-letter ISO 3166-1 country code such as VN or US"
	case "bcp47_language_tag":
		return "must be a language tag such as vi or en"
	case "mongodb":
		return "must be a 24-character hexadecimal id"
	case "datetime":
		return "must be a time of day such as 08:00 (" + fe.Param() + ")"
	case "timezone":
		return "must be an IANA time zone such as Asia/Ho_Chi_Minh"
	case "unique":
		return "must not repeat " + fe.Param()
	case "url", "http_url":
		return "must be an absolute http(s) URL"
	case "singleline":
		return "must be one line, without line breaks or other control characters"
	case "printascii", "alphanum", "excludesall":
		return "has characters that are not allowed"
	}
	return "is invalid (" + fe.Tag() + ")"
}

func isText(fe validator.FieldError) bool {
	return fe.Kind() == reflect.String
}

// Timestamp is an RFC 3339 time in a request body. A malformed one is reported as a type error,
// which the JSON decoder ties to the field's path.
type Timestamp struct{ time.Time }

var errNotTimestamp = errors.New("not an RFC 3339 timestamp")

// UnmarshalJSONFrom parses an RFC 3339 string.
func (t *Timestamp) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	val, err := dec.ReadValue()
	if err != nil {
		return err
	}
	var s string
	if val.Kind() == '"' && json.Unmarshal(val, &s) == nil {
		if t.Time, err = time.Parse(time.RFC3339Nano, s); err == nil {
			return nil
		}
	}
	return &json.SemanticError{JSONKind: val.Kind(), Err: errNotTimestamp}
}
