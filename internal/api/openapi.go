package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"
)

var pathParam = regexp.MustCompile(`\{([a-zA-Z]+)\}`)

// OpenAPI returns the OpenAPI 3.1 document of the route table.
func (a *API) OpenAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]any{}
	for _, rt := range a.routes {
		p := "/api/v1" + rt.Path
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
			"operationId": operationID(rt),
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": map[string]any{"type": q.Type}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Request))}}}
		}
		resp := map[string]any{}
		ok := map[string]any{"description": http.StatusText(rt.Status)}
		if rt.Reply != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Reply))}}
		}
		resp[itoa(rt.Status)] = ok
		resp["default"] = map[string]any{"$ref": "#/components/responses/Problem"}
		op["responses"] = resp
		if rt.access != public {
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
			if rt.Scope != "" {
				op["x-scope"] = string(rt.Scope)
			}
			if rt.Role != "" {
				op["x-staff-role"] = string(rt.Role)
			}
		} else {
			op["security"] = []any{}
		}
		item[strings.ToLower(rt.Method)] = op
	}
	g.defs["Problem"] = map[string]any{"type": "object", "properties": map[string]any{
		"type": map[string]any{"type": "string"}, "title": map[string]any{"type": "string"}, "status": map[string]any{"type": "integer"},
		"detail": map[string]any{"type": "string"}, "code": map[string]any{"type": "string"}, "requestId": map[string]any{"type": "string"},
		"errors": map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{
			"field": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}}}}},
		"required": []string{"type", "title", "status", "detail", "code"}}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "itsgow API", "version": a.deps.Version,
			"description": "REST API of itsgow: dedicated servers, their network protection and the contract that binds them. Errors are application/problem+json (RFC 9457) with a stable code."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.defs,
			"responses": map[string]any{"Problem": map[string]any{"description": "An error",
				"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}},
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "API token (itg_...) with scopes"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "itsgow_session"},
			},
		},
	}
}

func operationID(rt Route) string {
	parts := []string{strings.ToLower(rt.Method)}
	for _, s := range strings.Split(rt.Path, "/") {
		s = strings.Trim(s, "{}")
		if s == "" {
			continue
		}
		s = strings.ReplaceAll(s, "-", "")
		parts = append(parts, strings.ToUpper(s[:1])+s[1:])
	}
	return strings.Join(parts, "")
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (a *API) openAPIHandler(w http.ResponseWriter, r *http.Request) {
	a.docOnce.Do(func() { a.doc, _ = json.MarshalIndent(a.OpenAPI(), "", "  ") })
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(a.doc)
}

type schemaGen struct{ defs map[string]any }

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		return g.schema(t.Elem())
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := schemaName(t)
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // placeholder against recursion
			props := map[string]any{}
			var required []string
			g.fields(t, props, &required)
			s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
			if len(required) > 0 {
				s["required"] = required
			}
			g.defs[name] = s
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			g.fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

func schemaName(t reflect.Type) string {
	n := t.Name()
	if i := strings.Index(n, "["); i >= 0 { // generic: Page[...DTO]
		inner := n[i+1 : len(n)-1]
		if j := strings.LastIndex(inner, "."); j >= 0 {
			inner = inner[j+1:]
		}
		n = n[:i] + "Of" + inner
	}
	return strings.TrimSuffix(n, "DTO")
}
