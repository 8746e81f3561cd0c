package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"registro/cases"
)

// What a phone keeps of unsent work. An outreach worker records where the signal
// drops: her draft and the cases she sent without signal wait on the phone until the
// connection returns. They wait sealed (AES-GCM in the browser) under keys the server
// hands to her signed-in session in a cookie that ends with it: the session's idle
// timeout or its end, whichever comes first, and sign-out. After that the phone holds
// only ciphertext, and the keys come back only when she signs in again on that phone.
//
// Each key belongs to one account, one phone and one UTC day:
// HMAC-SHA256(PhoneKey, user id, phone id, day). The phone id is a random token in an
// HttpOnly cookie of its own (the page's scripts never see it), so a copy of the
// storage of one phone is unreadable on another, even signed in as her. The keys of
// the days within PhoneKeep are handed out, no older ones: what waited longer is
// destroyed by the page and unreadable in any case.

// phoneKeysCookie names the cookie that carries the day keys to the page's scripts.
func (s *Server) phoneKeysCookie() string {
	if s.SecureCookies {
		return "__Host-registro-keys"
	}
	return "registro-keys"
}

// phoneIDCookie names the HttpOnly cookie that tells this phone from others.
func (s *Server) phoneIDCookie() string {
	if s.SecureCookies {
		return "__Host-registro-phone"
	}
	return "registro-phone"
}

// phoneKeyDays are the UTC days whose keys a session holds at now, newest first:
// every day an unsent piece of work still within PhoneKeep may have been sealed on.
func (s *Server) phoneKeyDays(now time.Time) []string {
	var days []string
	oldest := now.Add(-s.PhoneKeep).UTC().Format("20060102")
	for d := now.UTC(); ; d = d.AddDate(0, 0, -1) {
		day := d.Format("20060102")
		days = append(days, day)
		if day <= oldest {
			return days
		}
	}
}

// phoneKey is the key of one account on one phone for one day.
func (s *Server) phoneKey(userID, phoneID, day string) []byte {
	m := hmac.New(sha256.New, s.PhoneKey)
	m.Write([]byte("phone\x00" + userID + "\x00" + phoneID + "\x00" + day))
	return m.Sum(nil)
}

// handPhoneKeys sets the cookie of day keys for the signed-in session of the request
// (and gives the phone its id the first time), to last as long as the session would
// without another request. Pages call it as they render; it does nothing signed out.
func (s *Server) handPhoneKeys(c *gin.Context) {
	user := userOf(c)
	sess, ok := sessionOf(c)
	if !ok || user.ID == "" {
		return
	}
	now := s.Now()
	life := s.Accounts.IdleTimeout()
	if rest := sess.ExpiresAt.Sub(now); rest < life {
		life = rest
	}
	if life <= 0 {
		return
	}
	phone, err := c.Cookie(s.phoneIDCookie())
	if err != nil || len(phone) < 16 || len(phone) > 64 {
		phone = rand.Text()
		http.SetCookie(c.Writer, &http.Cookie{Name: s.phoneIDCookie(), Value: phone, Path: "/", MaxAge: 400 * 24 * 3600,
			Secure: s.SecureCookies, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}
	var keys []string
	for _, day := range s.phoneKeyDays(now) {
		keys = append(keys, day+"."+base64.RawURLEncoding.EncodeToString(s.phoneKey(user.ID, phone, day)))
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: s.phoneKeysCookie(), Value: strings.Join(keys, "~"), Path: "/",
		MaxAge: int(life.Seconds()), Secure: s.SecureCookies, SameSite: http.SameSiteStrictMode})
}

// dropPhoneKeys ends the keys' cookie at sign-out: what waits on the phone stays
// sealed until she signs in there again.
func (s *Server) dropPhoneKeys(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{Name: s.phoneKeysCookie(), Path: "/", MaxAge: -1,
		Secure: s.SecureCookies, SameSite: http.SameSiteStrictMode})
}

// showPhone gives the page's scripts the session's CSRF token, which they need to
// send what waits on the phone (a page kept offline holds an older session's), and
// hands the keys again.
func (s *Server) showPhone(c *gin.Context) error {
	s.handPhoneKeys(c)
	c.JSON(http.StatusOK, gin.H{"csrf": s.newView(c, "").CSRF})
	return nil
}

// answerSent answers a form sent by the page's script (a case or follow-up kept on
// the phone): 201 with the case's id and reference, or the refusal in the API's error
// shape, whose status the one error mapper chooses.
func (s *Server) answerSent(c *gin.Context, k *cases.Case, err error) error {
	if err != nil {
		s.fail(c, err)
		return nil
	}
	c.JSON(http.StatusCreated, gin.H{"id": k.ID, "ref": k.Ref})
	return nil
}

// wantsJSON reports whether a page's form was sent by the page's own script, which
// reads the answer rather than following it.
func wantsJSON(c *gin.Context) bool {
	return strings.HasPrefix(c.GetHeader("Accept"), "application/json")
}
