package server

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/gin-gonic/gin"
)

// A file upload is read as a stream, never parsed whole: parsing would spool a large
// file to a temporary file in clear. The page's form sends csrf_token as its first
// field, so the token is checked from the stream's first part, and the handler reads
// the rest from the same reader.

const multipartKey = "multipart_reader"

func isMultipart(c *gin.Context) bool {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// multipartToken returns the csrf_token sent as the form's first field, or "" (which
// the caller refuses), and keeps the reader for the handler.
func multipartToken(c *gin.Context) string {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxUpload+maxBody)
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return ""
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "csrf_token" {
		return ""
	}
	token, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil {
		return ""
	}
	c.Set(multipartKey, mr)
	return string(token)
}

// multipartOf returns the rest of a multipart form whose token was checked, or nil.
func multipartOf(c *gin.Context) *multipart.Reader {
	v, ok := c.Get(multipartKey)
	if !ok {
		return nil
	}
	mr, _ := v.(*multipart.Reader)
	return mr
}
