package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// maxBody bounds every request body; cases are small and free text has its own limits.
const maxBody = 1 << 20

// decode reads a JSON body into v strictly: a body of another media type is refused
// (jsonBody), and unknown fields, trailing data and wrong types are malformed requests
// naming the field.
func decode(c *gin.Context, v any) error {
	if err := jsonBody(c); err != nil {
		return err
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return &malformed{"the body holds more than one JSON value"}
	}
	return nil
}

// jsonBody refuses (errMediaType) a request that carries a body of any type but
// application/json. A browser sends a cross-site form or a text/plain fetch without
// asking first; JSON from another site needs a CORS preflight, which Registro never
// grants. A request without a body (a bodiless POST such as logout) passes.
func jsonBody(c *gin.Context) error {
	if c.Request.ContentLength == 0 {
		return nil // no body; -1 is a body of unknown length
	}
	t, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || t != "application/json" {
		return errMediaType
	}
	return nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.Is(err, io.EOF):
		return &malformed{"the body is empty: send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &malformed{"the JSON body ends too early"}
	case errors.As(err, &syntax):
		return &malformed{fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)}
	case errors.As(err, &typ):
		return &malformed{fmt.Sprintf("field %q: expected %s", typ.Field, typ.Type)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return &malformed{fmt.Sprintf("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))}
	}
	return &malformed{"malformed JSON body"}
}
