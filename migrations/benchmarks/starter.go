// Package benchmarks holds the starter benchmark set surveyd ships: published figures only,
// each citing its source and year (README, "Benchmarks and targets"). starter.csv is in the
// format of the benchmark CSV import; survey's tests check its rows with the import's own
// validation, which this package cannot call because survey's tests import migrations.
package benchmarks

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

//go:embed starter.csv
var starterCSV []byte

// StarterSetID is the starter set's fixed id, so that writing it again replaces it. Its
// timestamp is 2024-01-01, which lists it after the sets a workspace makes.
var StarterSetID = bson.ObjectID{0x65, 0x92, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 1}

const (
	starterName        = "Published benchmarks"
	starterDescription = "Figures published with their source and year; read-only (copy it to edit). " +
		"XM Institute: an industry's NPS is the average of its companies' NPS in the 2023 U.S. consumer " +
		"benchmark study (10,000 consumers, 351 companies, 22 industries); grocers scored highest, " +
		"consumer payments lowest. SurveyMonkey: the median and the upper quartile of the NPS of the " +
		"surveys its customers create; the upper quartile (+66) is the bar for the best quarter, not a " +
		"typical score; the page is undated, so the year is when it was read. ACSI: the U.S. national " +
		"customer satisfaction index for Q4 2023, a 0-100 index rather than a percent of satisfied " +
		"customers, so no CSAT survey is compared with it."
)

// UpsertStarter writes the starter set into coll, the benchmark_sets collection.
func UpsertStarter(ctx context.Context, coll *mongo.Collection, now time.Time) error {
	values, err := starterValues()
	if err != nil {
		return err
	}
	_, err = coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: StarterSetID}},
		bson.D{
			{Key: "$set", Value: bson.D{
				{Key: "name", Value: starterName}, {Key: "description", Value: starterDescription},
				{Key: "starter", Value: true}, {Key: "values", Value: values}, {Key: "updated_at", Value: now},
			}},
			{Key: "$setOnInsert", Value: bson.D{{Key: "created_at", Value: now}}},
		},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("starter benchmark set: %w", err)
	}
	return nil
}

// starterValues reads starter.csv into documents shaped like survey.BenchmarkValue.
func starterValues() (bson.A, error) {
	rows, err := csv.NewReader(bytes.NewReader(starterCSV)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("starter.csv: %w", err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	values := bson.A{}
	for n, row := range rows[1:] {
		cell := func(name string) string { return row[col[name]] }
		value, errValue := strconv.ParseFloat(cell("value"), 64)
		year, errYear := strconv.Atoi(cell("year"))
		if err := errors.Join(errValue, errYear); err != nil {
			return nil, fmt.Errorf("starter.csv line %d: %w", n+2, err)
		}
		segment := bson.D{}
		for _, k := range []string{"industry", "region", "channel"} {
			if s := cell(k); s != "" {
				segment = append(segment, bson.E{Key: k, Value: s})
			}
		}
		v := bson.D{{Key: "metric", Value: cell("metric")}, {Key: "scale", Value: cell("scale")}, {Key: "value", Value: value},
			{Key: "segment", Value: segment}, {Key: "source", Value: cell("source")}, {Key: "year", Value: year}}
		if s := cell("statistic"); s != "" {
			v = append(v, bson.E{Key: "statistic", Value: s})
		}
		values = append(values, v)
	}
	return values, nil
}
