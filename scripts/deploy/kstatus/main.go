// kstatus-check: what Flux's status reader (sigs.k8s.io/cli-utils kstatus) says about objects.
// Reads a JSON array of Kubernetes objects on stdin and prints one JSON line per object:
// {"status": "Current|InProgress|Failed|Terminating|...", "message": "..."}.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Kubernetes' JSON reader keeps integers as int64, as the apiserver's objects have them.
	var objs []interface{}
	if err := utiljson.Unmarshal(data, &objs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, o := range objs {
		obj, ok := o.(map[string]interface{})
		if !ok {
			fmt.Fprintln(os.Stderr, "not an object")
			os.Exit(1)
		}
		res, err := status.Compute(&unstructured.Unstructured{Object: obj})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		out, _ := json.Marshal(map[string]string{"status": res.Status.String(), "message": res.Message})
		fmt.Println(string(out))
	}
}
