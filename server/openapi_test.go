package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"registro/validation"
)

// openAPIMethods are the keys of an OpenAPI path item that name operations.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIParsed returns the embedded document, failing the test if it is not JSON.
func openAPIParsed(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(openAPIDoc))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// openAPIEngine builds the engine exactly as New does; registering routes touches no
// dependency, so an empty Deps is enough.
func openAPIEngine(t *testing.T) *gin.Engine {
	t.Helper()
	h, err := New(Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	r, ok := h.(*gin.Engine)
	if !ok {
		t.Fatalf("New returned %T, want *gin.Engine", h)
	}
	return r
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// openAPIPath writes a Gin route pattern as an OpenAPI path template: /cases/:id → /cases/{id}.
func openAPIPath(ginPath string) string {
	return ginParam.ReplaceAllString(ginPath, "{$1}")
}

func TestOpenAPIDocument(t *testing.T) {
	doc := openAPIParsed(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	info, ok := doc["info"].(map[string]any)
	if !ok {
		t.Fatal("no info object")
	}
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("info.%s is missing", k)
		}
	}
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatal("no paths")
	}
	// Every operation says what it answers, and every path parameter is declared.
	for p, item := range paths {
		item, _ := item.(map[string]any)
		declared := openAPIPathParams(doc, item["parameters"])
		for _, m := range openAPIMethods {
			o, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			if r, _ := o["responses"].(map[string]any); len(r) == 0 {
				t.Errorf("%s %s: no responses", strings.ToUpper(m), p)
			}
			names := append(slices.Clone(declared), openAPIPathParams(doc, o["parameters"])...)
			for _, sub := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(p, -1) {
				if !slices.Contains(names, sub[1]) {
					t.Errorf("%s %s: path parameter %q is not declared", strings.ToUpper(m), p, sub[1])
				}
			}
		}
	}
}

// openAPIPathParams returns the names of the path parameters in a parameters list,
// following references.
func openAPIPathParams(doc map[string]any, list any) []string {
	var names []string
	params, _ := list.([]any)
	for _, p := range params {
		pm, _ := p.(map[string]any)
		if r, ok := pm["$ref"].(string); ok {
			v, err := openAPIResolve(doc, r)
			if err != nil {
				continue // reported by TestOpenAPIRefs
			}
			pm, _ = v.(map[string]any)
		}
		if pm["in"] == "path" {
			name, _ := pm["name"].(string)
			names = append(names, name)
		}
	}
	return names
}

func TestOpenAPIRoutes(t *testing.T) {
	doc := openAPIParsed(t)
	paths, _ := doc["paths"].(map[string]any)

	served := map[string]bool{} // "GET /api/v1/cases/{id}"
	for _, r := range openAPIEngine(t).Routes() {
		p := openAPIPath(r.Path)
		served[r.Method+" "+p] = true
		if !strings.HasPrefix(p, "/api/v1/") {
			continue
		}
		item, _ := paths[p].(map[string]any)
		if _, ok := item[strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s is not documented in openapi.json", r.Method, p)
		}
	}
	if len(served) == 0 {
		t.Fatal("the engine has no routes")
	}

	for p, item := range paths {
		item, _ := item.(map[string]any)
		n := 0
		for _, m := range openAPIMethods {
			if _, ok := item[m]; !ok {
				continue
			}
			n++
			if !served[strings.ToUpper(m)+" "+p] {
				t.Errorf("openapi.json documents %s %s, which the server does not serve", strings.ToUpper(m), p)
			}
		}
		if n == 0 {
			t.Errorf("openapi.json path %s has no operation", p)
		}
	}
}

func TestOpenAPIRefs(t *testing.T) {
	doc := openAPIParsed(t)
	n := 0
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				n++
				if _, err := openAPIResolve(doc, r); err != nil {
					t.Errorf("%s: $ref %q: %v", at, r, err)
				}
			}
			for k, x := range v {
				walk(at+"/"+k, x)
			}
		case []any:
			for _, x := range v {
				walk(at+"[]", x)
			}
		}
	}
	walk("#", doc)
	if n == 0 {
		t.Error("no $ref at all: the Error schema should be described once and referenced")
	}
}

// openAPIResolve follows a local JSON pointer reference ("#/components/schemas/Case").
func openAPIResolve(doc map[string]any, ref string) (any, error) {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, errOpenAPIRef("only local references are used in this document")
	}
	var cur any = doc
	if ptr == "" {
		return cur, nil
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil, errOpenAPIRef("not a JSON pointer")
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, errOpenAPIRef("cannot step into a non-object at " + tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, errOpenAPIRef("no " + tok)
		}
	}
	return cur, nil
}

type errOpenAPIRef string

func (e errOpenAPIRef) Error() string { return string(e) }

// TestOpenAPIServed checks that GET /api/v1/openapi.json answers the embedded document
// without authentication.
func TestOpenAPIServed(t *testing.T) {
	rec := httptest.NewRecorder()
	openAPIEngine(t).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if !bytes.Equal(rec.Body.Bytes(), openAPIDoc) {
		t.Error("the served document differs from the embedded openapi.json")
	}
}

// TestOpenAPIBodiesAreJSON checks what the document says about request bodies and
// authentication against the server's rules: every operation that takes a body takes
// JSON only and documents the 415 that status gives any other type, and no operation
// accepts a cookie (the API authenticates by the bearer token alone).
func TestOpenAPIBodiesAreJSON(t *testing.T) {
	doc := openAPIParsed(t)
	code, body := status(errMediaType)
	ref, _ := doc["components"].(map[string]any)["responses"].(map[string]any)["UnsupportedMediaType"].(map[string]any)
	if raw, _ := json.Marshal(ref); code != http.StatusUnsupportedMediaType || !strings.Contains(string(raw), `"code":"`+body.Code+`"`) {
		t.Errorf("components.responses.UnsupportedMediaType does not show the code %q the server answers with %d", body.Code, code)
	}
	paths, _ := doc["paths"].(map[string]any)
	bodies := 0
	for p, item := range paths {
		item, _ := item.(map[string]any)
		for _, m := range openAPIMethods {
			o, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			op := strings.ToUpper(m) + " " + p
			if raw, _ := json.Marshal(o["security"]); strings.Contains(string(raw), "cookie") {
				t.Errorf("%s: accepts a cookie (%s); the API takes the bearer token only", op, raw)
			}
			rb, ok := o["requestBody"].(map[string]any)
			if !ok {
				continue
			}
			bodies++
			content, _ := rb["content"].(map[string]any)
			for typ := range content {
				if typ != "application/json" {
					t.Errorf("%s: request body of type %s; the server takes application/json only", op, typ)
				}
			}
			resp, _ := o["responses"].(map[string]any)
			got, _ := resp["415"].(map[string]any)
			if got["$ref"] != "#/components/responses/UnsupportedMediaType" {
				t.Errorf("%s takes a body but does not document 415 UnsupportedMediaType (has %v)", op, got)
			}
		}
	}
	if bodies == 0 {
		t.Fatal("no operation takes a request body")
	}
	if raw, _ := json.Marshal(doc["security"]); strings.Contains(string(raw), "cookie") {
		t.Errorf("the document's default security accepts a cookie: %s", raw)
	}
	schemes, _ := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	for name, sc := range schemes {
		if sc, _ := sc.(map[string]any); sc["in"] == "cookie" {
			t.Errorf("security scheme %s is a cookie; the API never reads one", name)
		}
	}
}

// TestOpenAPIProblemCodes: the document lists exactly the problem codes the server
// answers in error.problems.
func TestOpenAPIProblemCodes(t *testing.T) {
	doc := openAPIParsed(t)
	v, err := openAPIResolve(doc, "#/components/schemas/Error")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(v)
	var shape struct {
		Properties struct {
			Error struct {
				Properties struct {
					Problems struct {
						AdditionalProperties struct {
							Properties struct {
								Code struct {
									Enum []string `json:"enum"`
								} `json:"code"`
							} `json:"properties"`
						} `json:"additionalProperties"`
					} `json:"problems"`
				} `json:"properties"`
			} `json:"error"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	got := shape.Properties.Error.Properties.Problems.AdditionalProperties.Properties.Code.Enum
	var want []string
	for _, c := range validation.Codes() {
		want = append(want, string(c))
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("error.problems codes in openapi.json:\n%v\nwant validation.Codes():\n%v", got, want)
	}
}
