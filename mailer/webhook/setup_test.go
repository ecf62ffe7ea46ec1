package webhook

import (
	"testing"

	"github.com/surveyd/surveyd/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }
