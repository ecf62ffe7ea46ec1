package benchmark

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/scoring"
)

// Bounds of a benchmark CSV import.
const (
	maxBenchmarkCSV   = 1 << 20 // bytes: 5,000 rows of 200 bytes, with room to spare
	maxListedProblems = 20      // problems listed, of a file or a request; the detail counts them all
)

// benchmarkColumns are the import's columns, the required ones first.
var benchmarkColumns = []string{"metric", "scale", "value", "source", "year", "statistic", "industry", "region", "channel"}

const requiredBenchmarkColumns = 5

// decimal is a number as a spreadsheet writes it: no thousands separator, no hexadecimal,
// no NaN or infinity, which strconv.ParseFloat would all take.
var decimal = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$`)

// parseBenchmarkCSV reads a benchmark CSV file: UTF-8 (a byte order mark is skipped), a
// header naming benchmarkColumns in any order and case, then one value per row. Every row is
// checked before anything is returned; a fault is a 4xx *httpx.Problem that names the lines
// and columns at fault, the first maxListedProblems of them.
func parseBenchmarkCSV(data []byte, now time.Time) ([]Value, error) {
	data, err := utf8Text(data)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, httpx.NewProblem(http.StatusBadRequest, "The file is empty; its first line must name the columns: "+strings.Join(benchmarkColumns, ", ")+".")
	}
	if err != nil {
		return nil, csvSyntax(err)
	}
	col, err := benchmarkHeader(header)
	if err != nil {
		return nil, err
	}

	check := newBenchmarkChecker(now)
	var (
		values   []Value
		problems []httpx.FieldError
		rows     int
	)
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		// Excel writes a row of empty cells for a blank row that was ever formatted.
		if (err == nil || errors.Is(err, csv.ErrFieldCount)) && !slices.ContainsFunc(row, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			continue
		}
		if rows++; rows > maxValues {
			return nil, httpx.NewProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("The file has more than %d rows, the most a set holds; split it into several sets.", maxValues))
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) && errors.Is(err, csv.ErrFieldCount) {
			problems = append(problems, httpx.FieldError{Field: fmt.Sprintf("line %d", pe.StartLine),
				Message: fmt.Sprintf("has %d cells; the header has %d", len(row), len(header))})
			continue
		}
		if err != nil {
			return nil, csvSyntax(err)
		}
		line, _ := r.FieldPos(0)
		cell := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		v := Value{Metric: scoring.Metric(cell("metric")), Scale: cell("scale"), Statistic: cell("statistic"),
			Segment: Segment{Industry: cell("industry"), Region: cell("region"), Channel: cell("channel")}, Source: cell("source")}
		unread := map[string]bool{}
		bad := func(column, msg string) {
			if unread[column] {
				return // already reported as unreadable
			}
			field := fmt.Sprintf("line %d", line)
			if column != "" {
				field += ": " + column
			}
			problems = append(problems, httpx.FieldError{Field: field, Message: msg})
		}
		// A cell that cannot be read is reported here; the value it leaves (NaN, year 0) fails
		// the checks too, which keeps the row out of the search for repeats.
		switch s := cell("value"); {
		case s == "":
			bad("value", "is required")
			unread["value"], v.Value = true, math.NaN()
		case !decimal.MatchString(s):
			bad("value", fmt.Sprintf("must be a number such as 30.1 or -6.1 (a decimal point, no thousands separator), not %.40q", s))
			unread["value"], v.Value = true, math.NaN()
		default:
			// The pattern leaves only overflow to ±Inf, which the checks report.
			v.Value, _ = strconv.ParseFloat(s, 64)
		}
		switch s := cell("year"); {
		case s == "":
			bad("year", "is required")
			unread["year"] = true
		default:
			if v.Year, err = strconv.Atoi(s); err != nil {
				bad("year", fmt.Sprintf("must be a year such as 2023, not %.40q", s))
				unread["year"], v.Year = true, 0
			}
		}
		check.add(&v, fmt.Sprintf("line %d", line), bad)
		values = append(values, v)
	}
	if len(problems) > 0 {
		return nil, benchmarkProblems(problems)
	}
	if len(values) == 0 {
		return nil, httpx.NewProblem(http.StatusUnprocessableEntity, "The file has a header but no rows; a set needs at least one value.")
	}
	return values, nil
}

// utf8Text checks that data is UTF-8 and drops a byte order mark, which Excel writes.
func utf8Text(data []byte) ([]byte, error) {
	wrong := func(detail string) error {
		return httpx.NewProblem(http.StatusUnsupportedMediaType, detail+
			" Save the file as UTF-8 (in Excel: Save As, then \"CSV UTF-8 (Comma delimited)\").")
	}
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return nil, wrong("The file is UTF-16 text; surveyd reads CSV files in UTF-8.")
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if utf8.Valid(data) {
		return data, nil
	}
	i := 0
	for {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	line := 1 + bytes.Count(data[:i], []byte("\n"))
	return nil, wrong(fmt.Sprintf("Line %d is not UTF-8 text (it may be Windows-1252, Windows-1258 or another legacy encoding).", line))
}

// benchmarkHeader maps each known column to its position, or says what is wrong with the header.
func benchmarkHeader(header []string) (map[string]int, error) {
	col := map[string]int{}
	var errs []httpx.FieldError
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		switch _, dup := col[name]; {
		case name == "":
			errs = append(errs, httpx.FieldError{Field: "line 1", Message: fmt.Sprintf("column %d has no name", i+1)})
		case !slices.Contains(benchmarkColumns, name):
			msg := fmt.Sprintf("unknown column %.40q", name)
			if strings.Contains(name, ";") {
				msg += "; separate the columns with commas, not semicolons"
			}
			errs = append(errs, httpx.FieldError{Field: "line 1", Message: msg})
		case dup:
			errs = append(errs, httpx.FieldError{Field: "line 1", Message: fmt.Sprintf("column %q appears twice", name)})
		default:
			col[name] = i
		}
	}
	for _, name := range benchmarkColumns[:requiredBenchmarkColumns] {
		if _, ok := col[name]; !ok {
			errs = append(errs, httpx.FieldError{Field: "line 1", Message: fmt.Sprintf("required column %q is missing", name)})
		}
	}
	if len(errs) > 0 {
		p := httpx.NewProblem(http.StatusBadRequest, fmt.Sprintf("The first line must name the columns %s (required) and %s (optional), in any order.",
			strings.Join(benchmarkColumns[:requiredBenchmarkColumns], ", "), strings.Join(benchmarkColumns[requiredBenchmarkColumns:], ", ")))
		p.Errors = errs
		return nil, p
	}
	return col, nil
}

// csvSyntax reports a CSV syntax error, such as a stray quote, with its line.
func csvSyntax(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return httpx.NewProblem(http.StatusBadRequest, "The file could not be read as CSV: "+err.Error())
	}
	p := httpx.NewProblem(http.StatusBadRequest, fmt.Sprintf("The file is not valid CSV at line %d: %v. Nothing was imported.", pe.Line, pe.Err))
	p.Errors = []httpx.FieldError{{Field: fmt.Sprintf("line %d", pe.Line), Message: pe.Err.Error()}}
	return p
}
