package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The compose file pins its images, and each service's healthcheck says whether it can do
// its job: MongoDB has elected a primary (not merely answers), surveyd is ready, through the
// binary the Dockerfile installs (the image has no shell).
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string `yaml:"image"`
			Healthcheck struct {
				Test []string `yaml:"test"`
			} `yaml:"healthcheck"`
			DependsOn map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	services := compose.Services

	release := regexp.MustCompile(`^axllent/mailpit:v\d+\.\d+\.\d+$`)
	if img := services["mailpit"].Image; !release.MatchString(img) {
		t.Errorf("mailpit image %q, want a released version tag (axllent/mailpit:vX.Y.Z)", img)
	}
	if img := services["mongo"].Image; !regexp.MustCompile(`^mongo:\d+\.\d+`).MatchString(img) {
		t.Errorf("mongo image %q, want a pinned version", img)
	}

	mongo := strings.Join(services["mongo"].Healthcheck.Test, " ")
	for _, want := range []string{"rs.initiate(", "isWritablePrimary", "grep -qx true"} {
		if !strings.Contains(mongo, want) {
			t.Errorf("mongo healthcheck %q lacks %q: it must initiate the replica set and pass only once a primary is elected", mongo, want)
		}
	}

	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	entry := regexp.MustCompile(`(?m)^ENTRYPOINT \["([^"]+)"\]`).FindSubmatch(dockerfile)
	if entry == nil {
		t.Fatal("Dockerfile has no exec-form ENTRYPOINT")
	}
	want := []string{"CMD", string(entry[1]), "healthcheck"}
	if got := services["surveyd"].Healthcheck.Test; !slices.Equal(got, want) {
		t.Errorf("surveyd healthcheck %q, want %q (exec form: the image has no shell)", got, want)
	}
	for dep, d := range services["surveyd"].DependsOn {
		if d.Condition != "service_healthy" {
			t.Errorf("surveyd starts after %s is %q, want service_healthy", dep, d.Condition)
		}
	}
}
