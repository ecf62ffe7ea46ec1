package mailer

import (
	"testing"

	"github.com/surveyd/surveyd/internal/storetest"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// testDB is a fresh, migrated database of its own for the calling test.
func testDB(t testing.TB) *mongo.Database {
	t.Helper()
	return storetest.DB(t)
}
