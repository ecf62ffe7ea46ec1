package survey

import (
	"encoding/csv"
	"io"
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey/rollup"
)

// What survey/report needs of the core beyond its public API: the rollup engine it reads
// through, a workspace's exclusion mask, the
// CSV helpers the responses export uses, the dimensions' names, and the demo survey its
// benchmark reads.

// Rollups is the core's rollup engine, which reports read through (rollup.Engine.Reader).
func (s *Service) Rollups() *rollup.Engine { return s.rollups }

// Excluded is the mask of the workspace's excluding flags; a workspace stored before the
// setting existed has the defaults.
func (w *Workspace) Excluded() scoring.FlagMask { return w.excluded() }

// NewCSV starts a CSV file on w with its header row, after a UTF-8 byte order mark (newCSV).
func NewCSV(w io.Writer, columns []string) (*csv.Writer, error) { return newCSV(w, columns) }

// Defuse keeps a spreadsheet from running a cell from outside as a formula (defuse).
func Defuse(cell string) string { return defuse(cell) }

// CSVAttachment sends the status and headers of a CSV download named filename; what is
// written to the returned writer is the file.
func CSVAttachment(c *echo.Context, filename string) http.ResponseWriter {
	return csvAttachment(c, filename)
}

// DimensionNames lists the report dimensions for an error message: "agent, team, ...".
func DimensionNames() string { return dimensionNames() }

// DemoReportSurvey is the name of the demo survey the report benchmark reads: Support CSAT.
func DemoReportSurvey() string { return demoSurveys[0].name }
