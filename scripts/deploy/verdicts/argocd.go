// Argo CD's health assessment of a live object, for the kinds whose health comes from a Lua script
// in argocd-cm. Neither Argo CD's own packages nor gitops-engine can be built here (the Go module
// proxy serves neither github.com/argoproj/argo-cd/gitops-engine at the version argo-cd v3.5.8
// pins, nor a github.com/argoproj/gitops-engine whose k8s.io/kubernetes requirement resolves), so
// this file does what their code does, step by step, on the same Lua engine (gopher-lua v1.1.2,
// the version argo-cd v3.5.8 pins) and the same JSON bridge (layeh.com/gopher-json, same pin).
// The upstream code it follows, read at github.com/argoproj/argo-cd v3.5.8:
//   - gitops-engine/pkg/health/health.go, GetResourceHealth: an object with a deletionTimestamp
//     (and without the hook finalizer argocd.argoproj.io/hook-finalizer,
//     gitops-engine/pkg/sync/hook/hook.go) is Progressing "Pending deletion" before any override
//     runs; then the override (the Lua script); an override error is Unknown with the error text.
//   - util/lua/lua.go, runLuaWithResourceActionParameters: lua.NewState with SkipOpenLibs unless
//     the override sets useOpenLibs, then only package, base, table and a "safe" os library
//     (util/lua/oslib_safe.go: os.time and os.date; upstream registers them under the name of the
//     table library, so the global os stays nil and `require("os")` gives them) are opened, a
//     1 s context deadline, the globals actionParams (empty for health) and obj (decodeValue: JSON
//     numbers as Lua numbers, maps and lists as tables), then DoString; a run error loses its
//     stack trace.
//   - util/lua/lua.go, ExecuteHealthLua: the value on top of the stack; a table goes through
//     gopher-json to JSON and into {status, message}; a status outside Unknown, Progressing,
//     Suspended, Healthy, Degraded, Missing becomes Unknown "Lua returned an invalid health
//     status"; nil is an empty status; anything else is an error.
//   - util/settings/settings.go, appendResourceOverridesFromSplitKeys and convertToOverrideKey:
//     argocd-cm keys resource.customizations.<health|useOpenLibs>.<group>_<kind> give the script
//     for "<group>/<kind>"; util/lua/lua.go GetHealthScript looks the object's group/kind up.
//     (Wildcard keys and the resource.customizations block are not read: our files use neither.)
//
// os.date is left out of the safe os library (our script does not use os; a script that did
// would fail here, not silently differ).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	luajson "layeh.com/gopher-json"
	"sigs.k8s.io/yaml"
)

type healthStatus struct {
	Status      string `json:"status,omitempty"`
	Message     string `json:"message,omitempty"`
	AggregateAs string `json:"aggregateAs,omitempty"`
}

type healthOverride struct {
	healthLua   string
	useOpenLibs bool
}

const hookFinalizer = "argocd.argoproj.io/hook-finalizer"

// loadArgoCDConfigMap reads the health overrides of an argocd-cm manifest (split keys only).
func loadArgoCDConfigMap(path string) (map[string]healthOverride, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	overrides := map[string]healthOverride{}
	for k, v := range cm.Data {
		if !strings.HasPrefix(k, "resource.customizations") {
			continue
		}
		parts := strings.SplitN(k, ".", 4)
		if len(parts) < 4 {
			continue
		}
		key, err := overrideKey(parts[3])
		if err != nil {
			return nil, err
		}
		o := overrides[key]
		switch parts[2] {
		case "health":
			o.healthLua = v
		case "useOpenLibs":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, err
			}
			o.useOpenLibs = b
		default:
			continue
		}
		overrides[key] = o
	}
	return overrides, nil
}

func overrideKey(groupKind string) (string, error) {
	parts := strings.Split(groupKind, "_")
	if len(parts) == 2 {
		return parts[0] + "/" + parts[1], nil
	}
	if len(parts) == 1 && groupKind != "" {
		return groupKind, nil
	}
	return "", fmt.Errorf("group kind should be <group>_<kind> or <kind>, got %q", groupKind)
}

func configMapKey(u *unstructured.Unstructured) string {
	gvk := u.GroupVersionKind()
	if gvk.Group == "" {
		return gvk.Kind
	}
	return gvk.Group + "/" + gvk.Kind
}

// argoCDHealth is gitops-engine's GetResourceHealth with the Lua override. A nil result means Argo
// CD has no health for the object (no script and no built-in check for its kind).
func argoCDHealth(u *unstructured.Unstructured, overrides map[string]healthOverride) (*healthStatus, error) {
	if u.GetDeletionTimestamp() != nil && !hasFinalizer(u, hookFinalizer) {
		return &healthStatus{Status: "Progressing", Message: "Pending deletion"}, nil
	}
	h, err := scriptHealth(u, overrides)
	if err != nil {
		return &healthStatus{Status: "Unknown", Message: err.Error()}, err
	}
	return h, nil
}

// scriptHealth runs the object's health script alone (what Argo CD does after its own checks).
func scriptHealth(u *unstructured.Unstructured, overrides map[string]healthOverride) (*healthStatus, error) {
	o, ok := overrides[configMapKey(u)]
	if !ok || o.healthLua == "" {
		return nil, nil
	}
	return executeHealthLua(u.Object, o.healthLua, o.useOpenLibs)
}

func hasFinalizer(u *unstructured.Unstructured, name string) bool {
	for _, f := range u.GetFinalizers() {
		if f == name {
			return true
		}
	}
	return false
}

func runLua(obj map[string]interface{}, script string, useOpenLibs bool) (*lua.LState, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !useOpenLibs})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			l.Close()
			return nil, err
		}
	}
	l.PreloadModule(lua.OsLibName, safeOsLoader)
	ctx, cancel := context.WithTimeout(context.Background(), 1*time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("actionParams", l.CreateTable(0, 0))
	l.SetGlobal("obj", decodeValue(l, obj))
	err := l.DoString(script)
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Type == lua.ApiErrorRun {
		apiErr.StackTrace = ""
		err = apiErr
	}
	return l, err
}

func executeHealthLua(obj map[string]interface{}, script string, useOpenLibs bool) (*healthStatus, error) {
	l, err := runLua(obj, script, useOpenLibs)
	if l != nil {
		defer l.Close()
	}
	if err != nil {
		return nil, err
	}
	ret := l.Get(-1)
	switch ret.Type() {
	case lua.LTTable:
		data, err := luajson.Encode(ret)
		if err != nil {
			return nil, err
		}
		h := &healthStatus{}
		if err := json.Unmarshal(data, h); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) && typeErr.Value == "array" {
				// An empty Lua table encodes as [], which Argo CD reads as an empty status.
				return &healthStatus{}, nil
			}
			return nil, err
		}
		switch h.Status {
		case "Unknown", "Progressing", "Suspended", "Healthy", "Degraded", "Missing":
			return h, nil
		}
		return &healthStatus{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
	case lua.LTNil:
		return &healthStatus{}, nil
	}
	return nil, fmt.Errorf("expect table output from Lua script, not %s", ret.Type().String())
}

func decodeValue(l *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case []interface{}:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(decodeValue(l, item))
		}
		return arr
	case map[string]interface{}:
		tbl := l.CreateTable(0, len(v))
		for key, item := range v {
			tbl.RawSetH(lua.LString(key), decodeValue(l, item))
		}
		return tbl
	}
	return lua.LNil
}

var safeOsFuncs = map[string]lua.LGFunction{"time": osTime}

func openSafeOs(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.TabLibName, safeOsFuncs))
	return 1
}

func safeOsLoader(l *lua.LState) int {
	l.Push(l.SetFuncs(l.NewTable(), safeOsFuncs))
	return 1
}

func osTime(l *lua.LState) int {
	if l.GetTop() == 0 {
		l.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}
	tbl := l.CheckTable(1)
	field := func(key string, def int) int {
		if n, ok := tbl.RawGetString(key).(lua.LNumber); ok {
			return int(n)
		}
		return def
	}
	t := time.Date(field("year", -1), time.Month(field("month", -1)), field("day", -1),
		field("hour", 12), field("min", 0), field("sec", 0), 0, time.Local)
	l.Push(lua.LNumber(t.Unix()))
	return 1
}
