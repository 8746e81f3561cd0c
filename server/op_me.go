package server

import (
	"errors"

	"github.com/gin-gonic/gin"

	"registro/accounts"
	"registro/validation"
)

// The signed-in person's own account over the API: her password, her second factor
// and her sessions. Nobody else's account is reached here.

// errFactorActive: a second factor is already set up; it is removed by whoever manages
// the account (or the server's shell), never replaced by a session that may be stolen.
var errFactorActive = errors.New("a second factor is already set up: ask your coordinator (or, for a coordinator, the server's administrator) to remove it first")

type passwordInput struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// opOwnPassword changes the caller's password; token is the session that stays open
// (the others end). A wrong current password counts as a failed sign-in.
func (s *Server) opOwnPassword(c *gin.Context, current, next, token string) (err error) {
	me := userOf(c)
	le := entry{Action: "user.password", Object: me.ID}
	defer s.logged(c, &err, &le)
	err = s.Accounts.ChangeOwnPassword(c.Request.Context(), me.ID, current, next, token)
	if errors.Is(err, accounts.ErrBadCredentials) || errors.Is(err, accounts.ErrThrottled) {
		// Counted and logged as a sign-in attempt would be: a guess at her password.
		le.Outcome = outcomeLogin(err)
		if errors.Is(err, accounts.ErrBadCredentials) {
			err = validation.Field("current", validation.WrongPassword)
		}
	}
	return err
}

// opBeginSecondFactor starts the caller's enrolment: a new secret, as text, as an
// otpauth:// address and as a QR code.
func (s *Server) opBeginSecondFactor(c *gin.Context) (accounts.Enrolment, error) {
	me := userOf(c)
	if me.SecondFactor {
		_ = s.record(c, "user.second_factor", me.ID, "denied", "already set up")
		return accounts.Enrolment{}, errFactorActive
	}
	return s.Accounts.BeginTOTP(c.Request.Context(), me.ID)
}

// opConfirmSecondFactor activates the enrolment with one code from the app and
// returns the recovery codes, shown this once.
func (s *Server) opConfirmSecondFactor(c *gin.Context, code string) (recovery []string, err error) {
	me := userOf(c)
	if me.SecondFactor {
		_ = s.record(c, "user.second_factor", me.ID, "denied", "already set up")
		return nil, errFactorActive
	}
	le := entry{Action: "user.second_factor", Object: me.ID, Detail: "enrol"}
	defer s.logged(c, &err, &le)
	if recovery, err = s.Accounts.ConfirmTOTP(c.Request.Context(), me.ID, code); err == nil {
		le.Detail = "enrolled"
	}
	return recovery, err
}

type codeInput struct {
	Code string `json:"code"`
}

// opEndOtherSessions signs the caller out everywhere but here (token), and disowns
// the devices her sign-ins were remembered on.
func (s *Server) opEndOtherSessions(c *gin.Context, token string) (n int, err error) {
	me := userOf(c)
	defer s.logged(c, &err, &entry{Action: "user.sessions", Object: me.ID, Detail: "ended the others"})
	return s.Accounts.EndOtherSessions(c.Request.Context(), me.ID, token)
}
