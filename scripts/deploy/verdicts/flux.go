// Flux's health verdict for an object, as kustomize-controller computes it with `wait: true`: the
// status reader of github.com/fluxcd/pkg/runtime/cel built from the Kustomization's
// spec.healthCheckExprs for the kinds they name (RFC-0009: observedGeneration first, then the
// inProgress, failed and current expressions in that order, InProgress when none holds), Flux's
// own kstatus (github.com/fluxcd/cli-utils, Flux's fork) for every other kind. This is Flux's
// code, imported, not a copy.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/engine"
	fluxstatus "github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/fluxcd/pkg/apis/kustomize"
	"github.com/fluxcd/pkg/runtime/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

type fluxVerdict struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
	// By says what decided: "healthCheckExprs" or "kstatus" (no expression for the kind).
	By string `json:"by"`
}

// loadFluxExprs reads a file holding `healthCheckExprs:` (the block users paste under a
// Kustomization's spec) and builds Flux's CEL status reader from it.
func loadFluxExprs(path string) (engine.StatusReader, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec struct {
		HealthCheckExprs []kustomize.CustomHealthCheck `json:"healthCheckExprs"`
	}
	if err := yaml.UnmarshalStrict(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(spec.HealthCheckExprs) == 0 {
		return nil, fmt.Errorf("%s: no healthCheckExprs", path)
	}
	newReader, err := cel.NewStatusReader(spec.HealthCheckExprs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The RESTMapper is only used to look objects up in a cluster; these objects are given.
	return newReader(nil), nil
}

func fluxHealth(u *unstructured.Unstructured, reader engine.StatusReader) fluxVerdict {
	gk := u.GroupVersionKind().GroupKind()
	if reader == nil || !reader.Supports(gk) {
		res, err := fluxstatus.Compute(u)
		if err != nil {
			return fluxVerdict{Status: "Unknown", Error: err.Error(), By: "kstatus"}
		}
		return fluxVerdict{Status: res.Status.String(), Message: res.Message, By: "kstatus"}
	}
	rs, err := reader.ReadStatusForObject(context.Background(), nil, u)
	if err != nil {
		return fluxVerdict{Status: "Unknown", Error: err.Error(), By: "healthCheckExprs"}
	}
	v := fluxVerdict{Status: rs.Status.String(), Message: rs.Message, By: "healthCheckExprs"}
	if rs.Error != nil {
		v.Error = rs.Error.Error()
	}
	return v
}
