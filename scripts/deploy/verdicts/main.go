// verdicts: what the GitOps tools say about Kubernetes objects. Reads a JSON array of objects on
// stdin and prints one JSON line per object:
//
//	{"kstatus":      {"status": "Current|InProgress|Failed|Terminating|...", "message": "..."},
//	 "argocd":       {"status": "Healthy|Progressing|Degraded|Suspended|...", "message": "..."},
//	 "argocdScript": the health script's own answer, without Argo CD's checks before it,
//	 "flux":         {"status": "Current|InProgress|Failed|...", "message", "error", "by"}}
//
// kstatus is sigs.k8s.io/cli-utils (pinned in go.mod); argocd is Argo CD's health assessment with
// the Lua scripts of --argocd-cm (argocd.go); flux is Flux's health check with the
// healthCheckExprs of --flux-exprs (flux.go).
//
// Usage: verdicts --argocd-cm config/gitops/argocd-cm-health.yaml \
//
//	--flux-exprs config/gitops/flux-healthcheckexprs.yaml < objects.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

type result struct {
	Kstatus      verdict      `json:"kstatus"`
	ArgoCD       *verdict     `json:"argocd"`
	ArgoCDScript *verdict     `json:"argocdScript"`
	Flux         *fluxVerdict `json:"flux"`
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func fromHealth(h *healthStatus, err error) *verdict {
	if err != nil && h == nil {
		return &verdict{Status: "Unknown", Message: err.Error()}
	}
	if h == nil {
		return nil
	}
	return &verdict{Status: h.Status, Message: h.Message}
}

func main() {
	argoCM := flag.String("argocd-cm", "", "an argocd-cm manifest with resource.customizations.health.* keys")
	fluxExprs := flag.String("flux-exprs", "", "a file with the healthCheckExprs block of a Flux Kustomization")
	flag.Parse()

	var overrides map[string]healthOverride
	if *argoCM != "" {
		var err error
		if overrides, err = loadArgoCDConfigMap(*argoCM); err != nil {
			fail(err)
		}
	}
	var fluxReader engine.StatusReader
	if *fluxExprs != "" {
		var err error
		if fluxReader, err = loadFluxExprs(*fluxExprs); err != nil {
			fail(err)
		}
	}

	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	// Kubernetes' JSON reader keeps integers as int64, as the apiserver's objects have them.
	var objs []interface{}
	if err := utiljson.Unmarshal(data, &objs); err != nil {
		fail(err)
	}
	out := json.NewEncoder(os.Stdout)
	for _, o := range objs {
		obj, ok := o.(map[string]interface{})
		if !ok {
			fail(fmt.Errorf("not an object"))
		}
		u := &unstructured.Unstructured{Object: obj}
		var r result
		res, err := status.Compute(u)
		if err != nil {
			fail(err)
		}
		r.Kstatus = verdict{Status: res.Status.String(), Message: res.Message}
		if overrides != nil {
			// Each run gets its own copy: a script cannot change what the next one sees.
			r.ArgoCD = fromHealth(argoCDHealth(u.DeepCopy(), overrides))
			r.ArgoCDScript = fromHealth(scriptHealth(u.DeepCopy(), overrides))
		}
		if *fluxExprs != "" {
			f := fluxHealth(u.DeepCopy(), fluxReader)
			r.Flux = &f
		}
		if err := out.Encode(r); err != nil {
			fail(err)
		}
	}
}
