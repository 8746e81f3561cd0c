package server

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/text/language"

	"registro/validation"
)

// The catalogue of every text a page shows, one TOML file per area and language
// (locales/<area>.<lang>.toml). Spanish is the default; a test fails when a key is
// missing in either language.
//
//go:embed locales/*.toml
var localeFS embed.FS

// langs are the languages of the pages, the default first.
var langs = []string{"es", "en"}

func supportedLang(l string) bool { return l == "es" || l == "en" }

// catalogue holds the translated texts.
type catalogue struct {
	bundle *i18n.Bundle
	locs   map[string]*i18n.Localizer
	// missing hears of every text a page asked for that the catalogue lacks: the
	// server logs it, and the tests fail on any such log line.
	missing func(lang, id string)
}

func newCatalogue(missing func(lang, id string)) (*catalogue, error) {
	b := i18n.NewBundle(language.Spanish)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(localeFS, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := localeFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if _, err := b.ParseMessageFileBytes(data, f); err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", f, err)
		}
	}
	c := &catalogue{bundle: b, locs: map[string]*i18n.Localizer{}, missing: missing}
	for _, l := range langs {
		c.locs[l] = i18n.NewLocalizer(b, l)
	}
	return c, nil
}

// text returns the message id in lang with its template data (pairs of name and
// value). A missing text shows as its id, and is reported.
func (c *catalogue) text(lang, id string, args ...any) string {
	loc, ok := c.locs[lang]
	if !ok {
		loc = c.locs["es"]
	}
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			data[fmt.Sprint(args[i])] = args[i+1]
		}
		cfg.TemplateData = data
		if n, ok := data["Count"]; ok {
			cfg.PluralCount = n
		}
	}
	s, err := loc.Localize(cfg)
	if err != nil {
		if c.missing != nil {
			c.missing(lang, id)
		}
		return id
	}
	return s
}

func (c *catalogue) has(lang, id string) bool {
	_, err := c.locs[lang].Localize(&i18n.LocalizeConfig{MessageID: id})
	return err == nil
}

// problem words a validation problem for a page from the catalogue
// ("problem.<code>", with the problem's arguments); prefix ("cases.") lets an area word
// some of them its own way ("cases.problem.<code>"). A code without a text is shown in
// English and reported, and the catalogue test fails on it.
func (c *catalogue) problem(lang string, p validation.Problem, prefix ...string) string {
	args := make([]any, 0, 2*len(p.Args))
	for k, v := range p.Args {
		args = append(args, k, v)
	}
	for _, pre := range prefix {
		if id := pre + "problem." + string(p.Code); c.has(lang, id) {
			return c.text(lang, id, args...)
		}
	}
	return c.text(lang, "problem."+string(p.Code), args...)
}
