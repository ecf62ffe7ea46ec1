package report

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"
	"github.com/surveyd/surveyd/internal/httpx"
	"github.com/surveyd/surveyd/scoring"
	"github.com/surveyd/surveyd/survey"
	"github.com/surveyd/surveyd/survey/apikey"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Bounds of a report request.
const (
	maxSeriesPoints = 1000
	maxFilterValue  = 200 // the longest agent or team an invitation may carry
	maxCompareSets  = 10  // benchmark sets one report compares with
)

// Handler serves a survey's report and its CSV export.
type Handler struct {
	svc *Service
}

// NewHandler builds the report's API over svc.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Register adds the routes to g, the /api/v1 group behind apikey.Store.Authenticate; any key
// of read scope or above may read a report.
func (h *Handler) Register(g *echo.Group) {
	read := apikey.RequireScope(apikey.ScopeRead)
	g.GET("/surveys/:id/report", h.getReport, read)
	g.GET("/surveys/:id/report/export", h.exportReport, read)
}

func (h *Handler) getReport(c *echo.Context) error {
	rep, _, err := h.report(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

func (h *Handler) exportReport(c *echo.Context) error {
	rep, q, err := h.report(c)
	if err != nil {
		return err
	}
	first, last := q.From.In(q.Location), q.To.Add(-time.Nanosecond).In(q.Location)
	res := survey.CSVAttachment(c, fmt.Sprintf("report-%s-%s-%s.csv", rep.SurveyID.Hex(), first.Format(time.DateOnly), last.Format(time.DateOnly)))
	// As with the responses export, a failure once the file has started can only cut it short.
	if err := writeReportCSV(res, rep); err != nil {
		c.Logger().Error("export report", "err", err)
	}
	return nil
}

// report runs the report a request asks for. A period whose midnights in its time zone are
// not on a quarter-hour (a zone's local mean time of a century ago, for example) cannot be
// read from rollups, which is the request's choice to change.
func (h *Handler) report(c *echo.Context) (*Report, ReportQuery, error) {
	id, err := httpx.PathID(c, survey.ErrNotFound)
	if err != nil {
		return nil, ReportQuery{}, err
	}
	q, err := h.reportQuery(c)
	if err != nil {
		return nil, q, err
	}
	rep, err := h.svc.Report(c.Request().Context(), apikey.WorkspaceOf(c), id, q)
	switch {
	case errors.Is(err, scoring.ErrUnaligned):
		return nil, q, httpx.BadField("tz", "puts midnight of the period's days off the quarter-hour, which reports cannot split; choose other dates or another time zone")
	case errors.Is(err, ErrUnknownBenchmarkSet):
		p := httpx.NewProblem(http.StatusNotFound, "compare: "+err.Error())
		p.Errors = []httpx.FieldError{{Field: "compare", Message: err.Error() + "; list the sets with GET /api/v1/benchmark-sets"}}
		return nil, q, p
	}
	return rep, q, err
}

// reportQuery reads a report request's time zone, period, grouping, filter and interval.
func (h *Handler) reportQuery(c *echo.Context) (ReportQuery, error) {
	var q ReportQuery
	var err error
	if q.Location, err = h.reportLocation(c); err != nil {
		return q, err
	}
	if q.From, q.To, err = h.svc.core.ReportPeriod(c.QueryParam("from"), c.QueryParam("to"), q.Location); err != nil {
		return q, err
	}
	if s := c.QueryParam("group_by"); s != "" {
		d, ok := scoring.ParseDimension(s)
		if !ok {
			return q, httpx.BadField("group_by", "must be one of: "+scoring.DimensionNames())
		}
		q.GroupBy = d
	}
	if q.Filter, err = reportFilter(c.QueryParams()["filter"]); err != nil {
		return q, err
	}
	switch q.Interval = c.QueryParam("interval"); q.Interval {
	case "", IntervalDay, IntervalWeek, IntervalMonth:
	default:
		return q, httpx.BadField("interval", "must be one of: day, week, month")
	}
	if q.Interval != "" && seriesPoints(q) > maxSeriesPoints {
		return q, httpx.BadField("interval", fmt.Sprintf("makes a series of more than %d points; choose a longer interval or a shorter period", maxSeriesPoints))
	}
	if q.Compare, err = reportCompare(c.QueryParams()["compare"], q.GroupBy); err != nil {
		return q, err
	}
	if s := c.QueryParam("rank"); s != "" {
		if q.Rank, err = strconv.ParseBool(s); err != nil {
			return q, httpx.BadField("rank", "must be true or false")
		}
		if q.Rank && q.GroupBy != scoring.DimAgent && q.GroupBy != scoring.DimTeam {
			return q, httpx.BadField("rank", "ranks agents or teams; add group_by=agent or group_by=team")
		}
	}
	return q, nil
}

// reportCompare reads the compare parameters, comma lists of previous, last_year, company,
// targets, benchmark:<set id> and all, which is every one but the benchmark sets (and
// company only when the report has groups).
func reportCompare(params []string, groupBy scoring.Dimension) (CompareQuery, error) {
	var q CompareQuery
	for _, p := range params {
		for item := range strings.SplitSeq(p, ",") {
			item = strings.TrimSpace(item)
			if hex, ok := strings.CutPrefix(item, "benchmark:"); ok {
				id, err := bson.ObjectIDFromHex(hex)
				if err != nil {
					return q, httpx.BadField("compare", fmt.Sprintf("%q: a benchmark set id is 24 hexadecimal digits", item))
				}
				if !slices.Contains(q.Benchmarks, id) {
					q.Benchmarks = append(q.Benchmarks, id)
				}
				continue
			}
			switch item {
			case "":
			case "previous":
				q.Previous = true
			case "last_year":
				q.LastYear = true
			case "company":
				if groupBy == "" {
					return q, httpx.BadField("compare", "company compares each group with the rest of the company; add group_by")
				}
				q.Company = true
			case "targets":
				q.Targets = true
			case "all":
				q.Previous, q.LastYear, q.Targets, q.Company = true, true, true, groupBy != ""
			default:
				return q, httpx.BadField("compare", fmt.Sprintf("%q is not a comparison; use previous, last_year, company, targets, benchmark:<set id> or all, separated by commas", item))
			}
		}
	}
	if len(q.Benchmarks) > maxCompareSets {
		return q, httpx.BadField("compare", fmt.Sprintf("names more than %d benchmark sets", maxCompareSets))
	}
	return q, nil
}

// reportLocation is the tz parameter's time zone, or the workspace's.
func (h *Handler) reportLocation(c *echo.Context) (*time.Location, error) {
	return h.svc.core.ReportLocation(c.Request().Context(), apikey.WorkspaceOf(c), c.QueryParam("tz"))
}

// reportFilter reads filter parameters, each dimension:value, at most one per dimension.
// Channel and country are matched as invitations store them.
func reportFilter(params []string) (map[scoring.Dimension]string, error) {
	filter := map[scoring.Dimension]string{}
	for _, p := range params {
		name, value, _ := strings.Cut(p, ":")
		d, ok := scoring.ParseDimension(name)
		switch {
		case !ok:
			return nil, httpx.BadField("filter", fmt.Sprintf("%q must be dimension:value, the dimension one of: %s", p, scoring.DimensionNames()))
		case value == "":
			return nil, httpx.BadField("filter", fmt.Sprintf("%q has no value after %s:", p, d))
		case utf8.RuneCountInString(value) > maxFilterValue:
			return nil, httpx.BadField("filter", fmt.Sprintf("the %s value must be at most %d characters", d, maxFilterValue))
		case filter[d] != "":
			return nil, httpx.BadField("filter", fmt.Sprintf("filters %s twice; a report filters a dimension by one value", d))
		}
		switch d {
		case scoring.DimChannel:
			value = strings.ToLower(value)
		case scoring.DimCountry:
			value = strings.ToUpper(value)
		}
		filter[d] = value
	}
	return filter, nil
}

// seriesPoints counts the points of q's series, stopping once past the limit.
func seriesPoints(q ReportQuery) int {
	n := 0
	for t := q.From; t.Before(q.To) && n <= maxSeriesPoints; t = nextBoundary(t, q.Location, q.Interval) {
		n++
	}
	return n
}

// reportColumns is the report CSV's column order. It only ever grows at the end, so
// spreadsheets and scripts built on an export keep working.
var reportColumns = []string{
	"period_from", "period_to", "row", "group",
	"invited", "created", "scheduled", "throttled", "suppressed", "sampled_out",
	"sent", "failed", "bounced", "delivered", "opened", "responded", "commented",
	"response_rate", "low_response_rate",
	"raw_value", "raw_lo", "raw_hi", "raw_n", "raw_responses", "raw_low_n",
	"filtered_value", "filtered_lo", "filtered_hi", "filtered_n", "filtered_responses", "filtered_low_n",
	"weighted_value", "weighted_lo", "weighted_hi", "weighted_n", "weighted_responses", "weighted_low_n",
	"excluded", "flag_automated", "flag_contradiction", "flag_non_attributable", "flag_late",
	"repeat_answers", "repeat_counted_as",
	"volume", "fcr_rate", "fcr_n", "aht_seconds", "aht_n", "transfer_rate", "transfer_n",
	"crr", "ccr", "customers_start", "customers_end", "customers_new",
	"rank", "shrunken_score",
	"reference_kind", "reference_family", "reference", "reference_value", "reference_n",
	"difference", "statistic", "df", "p_value", "adjusted_p_value", "family_size", "verdict", "needed_n",
	"unranked", "reached",
}

// comparisonColumns are the columns of a comparison line, from reference_kind to needed_n.
const comparisonColumns = 13

// comparisonStart is the index of a comparison line's first column.
var comparisonStart = slices.Index(reportColumns, "reference_kind")

// reportFlags are the flags counted in the flag_ columns, in their order.
var reportFlags = []string{scoring.FlagAutomated, scoring.FlagContradiction, scoring.FlagNonAttributable, scoring.FlagLate}

// writeReportCSV writes a report as CSV: the whole period's total and groups, then each
// series point's. A row's comparisons follow it, one line each (row total_comparison or
// group_comparison), with only the period, the group and the comparison columns filled.
func writeReportCSV(w io.Writer, rep *Report) error {
	out, err := survey.NewCSV(w, reportColumns)
	if err != nil {
		return err
	}
	line := func(from, to time.Time, kind string, r *scoring.Row) error {
		cells := append(reportRow(from, to, kind, r), standingCells(r.Standing)...)
		if err := out.Write(append(cells, strconv.FormatInt(r.Funnel.Reached, 10))); err != nil {
			return err
		}
		for i := range r.Comparisons {
			if err := out.Write(comparisonRow(from, to, kind+"_comparison", r.Group, &r.Comparisons[i])); err != nil {
				return err
			}
		}
		return nil
	}
	period := func(from, to time.Time, total scoring.Row, groups []scoring.Row) error {
		if err := line(from, to, "total", &total); err != nil {
			return err
		}
		for i := range groups {
			if err := line(from, to, "group", &groups[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := period(rep.From, rep.To, rep.Total, rep.Groups); err != nil {
		return err
	}
	for _, p := range rep.Series {
		if err := period(p.From, p.To, p.Total, p.Groups); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

// reportRow is one CSV line. Only the group, which comes from the CRM, is defused: the other
// cells are numbers written here, and an NPS such as -12.5 must stay a number.
func reportRow(from, to time.Time, kind string, r *scoring.Row) []string {
	count := func(n int64) string { return strconv.FormatInt(n, 10) }
	number := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	// A rate or KPI nothing was known of is left empty rather than shown as 0.
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return number(*v)
	}
	f := r.Funnel
	row := []string{from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), kind, survey.Defuse(r.Group),
		count(f.Invited), count(f.Created), count(f.Scheduled), count(f.Throttled), count(f.Suppressed), count(f.SampledOut),
		count(f.Sent), count(f.Failed), count(f.Bounced), count(f.Delivered), count(f.Opened), count(f.Responded), count(f.Commented),
		opt(r.ResponseRate), strconv.FormatBool(r.LowResponseRate)}
	for _, e := range []scoring.Estimate{r.Raw, r.Filtered, r.Weighted} {
		// A score of no responses is left empty rather than shown as a score of 0.
		value, lo, hi := "", "", ""
		if e.Valid {
			value, lo, hi = number(e.Value), number(e.Lo), number(e.Hi)
		}
		row = append(row, value, lo, hi, number(e.N), count(e.Responses), strconv.FormatBool(e.LowN))
	}
	row = append(row, count(r.Excluded))
	for _, name := range reportFlags {
		var n int64
		for _, fc := range r.Flags {
			if fc.Flag == name {
				n = fc.Count
			}
		}
		row = append(row, count(n))
	}
	row = append(row, count(r.Repeat.Answers), number(r.Repeat.CountedAs))
	k := r.KPI
	row = append(row, count(k.Volume), opt(k.FCRRate), count(k.FCRN), opt(k.AHTSeconds), count(k.AHTN),
		opt(k.TransferRate), count(k.TransferN), opt(k.CRR), opt(k.CCR))
	if c := k.Customers; c != nil {
		return append(row, count(c.Start), count(c.End), count(c.New))
	}
	return append(row, "", "", "")
}

// standingCells are a row line's leaderboard and comparison columns: its rank and shrunken
// score when ranked, the comparison columns empty, and why a group with a standing has no
// rank.
func standingCells(st *scoring.Standing) []string {
	cells := make([]string, 2+comparisonColumns+1)
	if st != nil {
		if st.Rank > 0 {
			cells[0] = strconv.Itoa(st.Rank)
		}
		cells[1], cells[len(cells)-1] = number(st.Shrunken), st.Unranked
	}
	return cells
}

// comparisonRow is the CSV line of one comparison of a row.
func comparisonRow(from, to time.Time, kind, group string, c *scoring.RowComparison) []string {
	row := make([]string, len(reportColumns))
	row[0], row[1], row[2], row[3] = from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), kind, survey.Defuse(group)
	refValue, refN := number(c.Reference.Value), ""
	if e := c.Reference.Estimate; e != nil {
		refN = number(e.N)
		if !e.Valid { // a period without answers has no value, as in the JSON
			refValue = ""
		}
	}
	copy(row[comparisonStart:], []string{
		string(c.Reference.Kind), c.Family, survey.Defuse(c.Reference.Label), refValue, refN,
		number(c.Difference), number(c.Statistic), number(c.DF), number(c.PValue), number(c.AdjustedPValue),
		strconv.Itoa(c.FamilySize), string(c.Verdict), number(c.NeededN),
	})
	return row
}

func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
