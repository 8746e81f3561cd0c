package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/alerts"
	"registro/cases"
	"registro/database"
	"registro/stats/releases"
	"registro/validation"
)

// apiError is the one error shape of the API.
type apiError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"` // field → the problem in English
	// Problems are the same problems by code, with their arguments, for a client
	// that words them itself.
	Problems map[string]validation.Problem `json:"problems,omitempty"`
}

// Errors the handlers raise themselves; domain packages have their own.
var (
	errUnauthenticated = errors.New("sign in first")
	errForbidden       = errors.New("your role does not allow this")
	errNotFound        = errors.New("not found")
	errRateLimited     = errors.New("too many attempts: wait a few minutes and try again")
	errCSRF            = errors.New("missing or wrong CSRF token")
	errMethod          = errors.New("method not allowed")
	errCrossSite       = errors.New("refused: this request was sent from another site")
	errMediaType       = errors.New("send the body as JSON, with Content-Type: application/json")
	// errImportBusy: the import is being checked or written; its page shows when it ends.
	errImportBusy = errors.New("this import is still running: wait for it to finish")
	// errMustChangePassword: the account's password was set by someone else and must be
	// changed (POST /api/v1/me/password) before anything else.
	errMustChangePassword = errors.New("choose your own password first: POST /api/v1/me/password")
	// errMustEnrol: the account's role needs a second factor, not enrolled yet.
	errMustEnrol = errors.New("set up your second factor first: POST /api/v1/me/second-factor")
)

// malformed is a request the server could not parse at all (400).
type malformed struct{ msg string }

func (m *malformed) Error() string { return m.msg }

// status is the one place that maps an error to an HTTP status and a public code.
// Anything it does not know is an internal error whose details stay in the log.
func status(err error) (int, apiError) {
	var ve *validation.Error
	var mf *malformed
	var tooBig *http.MaxBytesError
	var tooFew *releases.TooFewChanges
	switch {
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity, apiError{Code: "validation_failed", Message: "some fields are invalid", Fields: ve.Messages(), Problems: ve.Fields}
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, apiError{Code: "too_large", Message: "the request body is larger than 1 MiB"}
	case errors.As(err, &mf):
		return http.StatusBadRequest, apiError{Code: "malformed_request", Message: mf.msg}
	case errors.Is(err, errUnauthenticated), errors.Is(err, accounts.ErrSessionExpired):
		return http.StatusUnauthorized, apiError{Code: "unauthenticated", Message: "sign in first"}
	case errors.Is(err, accounts.ErrBadCredentials):
		return http.StatusUnauthorized, apiError{Code: "invalid_credentials", Message: "wrong username or password"}
	case errors.Is(err, accounts.ErrSecondFactorRequired):
		return http.StatusUnauthorized, apiError{Code: "second_factor_required", Message: "send the 6-digit code of your authenticator app (or a recovery code) as \"code\""}
	case errors.Is(err, errMustChangePassword):
		return http.StatusForbidden, apiError{Code: "password_change_required", Message: errMustChangePassword.Error()}
	case errors.Is(err, errFactorActive):
		return http.StatusConflict, apiError{Code: "second_factor_active", Message: errFactorActive.Error()}
	case errors.Is(err, errMustEnrol):
		return http.StatusForbidden, apiError{Code: "second_factor_enrolment_required", Message: errMustEnrol.Error()}
	case errors.Is(err, errCSRF):
		return http.StatusForbidden, apiError{Code: "csrf_failed", Message: errCSRF.Error()}
	case errors.Is(err, errCrossSite):
		return http.StatusForbidden, apiError{Code: "cross_site", Message: errCrossSite.Error()}
	case errors.Is(err, errMediaType):
		return http.StatusUnsupportedMediaType, apiError{Code: "unsupported_media_type", Message: errMediaType.Error()}
	case errors.Is(err, errMethod):
		return http.StatusMethodNotAllowed, apiError{Code: "method_not_allowed", Message: errMethod.Error()}
	case errors.Is(err, errForbidden):
		return http.StatusForbidden, apiError{Code: "forbidden", Message: errForbidden.Error()}
	case errors.Is(err, alerts.ErrConflict):
		return http.StatusConflict, apiError{Code: "alert_conflict", Message: alerts.ErrConflict.Error()}
	case errors.Is(err, alerts.ErrState):
		return http.StatusConflict, apiError{Code: "alert_state", Message: alerts.ErrState.Error()}
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, accounts.ErrNotFound), errors.Is(err, alerts.ErrNotFound), errors.Is(err, errNotFound):
		return http.StatusNotFound, apiError{Code: "not_found", Message: "not found"}
	case errors.Is(err, releases.ErrNotReleased):
		return http.StatusNotFound, apiError{Code: "not_released", Message: releases.ErrNotReleased.Error()}
	case errors.Is(err, releases.ErrNoChange):
		return http.StatusConflict, apiError{Code: "no_change", Message: releases.ErrNoChange.Error()}
	case errors.As(err, &tooFew):
		return http.StatusConflict, apiError{Code: "too_few_changes", Message: tooFew.Error()}
	case errors.Is(err, releases.ErrQuartersNotReleased):
		return http.StatusConflict, apiError{Code: "quarters_not_released", Message: releases.ErrQuartersNotReleased.Error()}
	case errors.Is(err, releases.ErrConcurrent):
		return http.StatusConflict, apiError{Code: "already_published", Message: releases.ErrConcurrent.Error()}
	case errors.Is(err, errImportBusy):
		return http.StatusConflict, apiError{Code: "import_busy", Message: errImportBusy.Error()}
	case errors.Is(err, cases.ErrVersionConflict):
		return http.StatusConflict, apiError{Code: "version_conflict", Message: cases.ErrVersionConflict.Error()}
	case errors.Is(err, accounts.ErrDuplicate):
		return http.StatusConflict, apiError{Code: "duplicate", Message: "already exists"}
	case errors.Is(err, cases.ErrIdempotencyMismatch):
		return http.StatusUnprocessableEntity, apiError{Code: "idempotency_key_reused", Message: cases.ErrIdempotencyMismatch.Error()}
	case errors.Is(err, errRateLimited), errors.Is(err, accounts.ErrThrottled):
		return http.StatusTooManyRequests, apiError{Code: "rate_limited", Message: errRateLimited.Error()}
	case database.IsStorageFull(err):
		return http.StatusInsufficientStorage, apiError{Code: "storage_full", Message: "the database's disk is full, so this change could not be saved: tell the administrator; reading still works"}
	case errors.Is(err, database.ErrStorageLow):
		return http.StatusServiceUnavailable, apiError{Code: "storage_low", Message: "the database's disk is nearly full; the administrator must free space"}
	case database.IsUnavailable(err), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, apiError{Code: "database_unavailable", Message: "the database is not reachable; try again shortly"}
	}
	return http.StatusInternalServerError, apiError{Code: "internal_error", Message: "internal error"}
}

// fail answers err in the one error shape, logging what the client is not told.
func (s *Server) fail(c *gin.Context, err error) {
	code, body := status(err)
	var th *accounts.ThrottledError
	if errors.As(err, &th) && th.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(th.RetryAfter.Seconds()+0.999)))
	}
	s.logFailure(c, code, err)
	c.AbortWithStatusJSON(code, gin.H{"error": body})
}

// logFailure logs a server-side failure (5xx) with the request id, so that the
// "internal error" a client sees can be found; client errors are not logged.
func (s *Server) logFailure(c *gin.Context, code int, err error) {
	if code >= 500 {
		s.log.ErrorContext(c.Request.Context(), "request failed",
			slog.String("request_id", requestID(c)), slog.String("route", c.FullPath()),
			slog.Int("status", code), slog.String("error", err.Error()))
	}
}

// handle adapts a handler that returns an error to Gin.
func (s *Server) handle(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.fail(c, err)
		}
	}
}
