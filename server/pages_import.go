package server

import (
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"registro/cases"
	"registro/imports"
	"registro/validation"
	"registro/vocabulary"
)

// "Importar casos": a coordinator brings the organization's old registry in. She
// sends the file with what the survivors agreed to back then; Registro checks every
// row and shows the counts, the mapping of the columns and the rows about minors;
// she corrects the mapping as often as needed, downloads the report, confirms, and
// the ready rows are imported, each at most once however often the file is sent.

func (s *Server) importRoutes(web *gin.RouterGroup) {
	web.GET("/import", s.page(s.showImport))
	web.POST("/import", s.page(s.uploadImport))
	web.GET("/import/:job", s.page(s.showImportJob))
	web.POST("/import/:job/mapping", s.page(s.remapImport))
	web.POST("/import/:job/commit", s.page(s.commitImport))
	web.GET("/import/:job/report", s.page(s.downloadImportReport))
}

// maxStatement bounds the coordinator's consent statement, kept with every case.
const maxStatement = 500

type importPage struct {
	Job       *importJob
	Progress  jobView
	Fields    []imports.Field
	Statement string // the statement offered
	Confirmed map[int]bool
}

// Default is the value given to field in rows whose cell is empty, "" for none.
func (p importPage) Default(field string) string {
	if p.Job == nil {
		return ""
	}
	return p.Job.Mapping.Defaults[imports.Field(field)]
}

// importActor is the coordinator allowed to import into her organization.
func (s *Server) importActor(c *gin.Context) (cases.Actor, error) {
	sub, ok := subjectOf(c)
	if !ok {
		return cases.Actor{}, errUnauthenticated
	}
	sub, err := s.can(c, "case", "import", sub.Org)
	if err != nil {
		return cases.Actor{}, err
	}
	u := userOf(c)
	return cases.Actor{UserID: sub.UserID, Username: u.Username, Org: sub.Org, Role: sub.Role, Client: c.ClientIP()}, nil
}

func (s *Server) showImport(c *gin.Context) error {
	if _, err := s.importActor(c); err != nil {
		return err
	}
	v := s.newView(c, "import.title")
	v.Data = importPage{Statement: v.T("import.consent_default")}
	s.render(c, http.StatusOK, "import", v)
	return nil
}

// uploadImport takes the file from the multipart stream straight into a sealed file:
// the rows never touch the disk in clear.
func (s *Server) uploadImport(c *gin.Context) error {
	actor, err := s.importActor(c)
	if err != nil {
		return err
	}
	form := map[string]string{}
	j, err := s.takeUpload(c, actor, form)
	if err != nil {
		// The form again, with her statement and every problem named; the file must be
		// chosen again, as a browser never fills a file field.
		v := s.newView(c, "import.title")
		st, ok := s.rejected(v, err, problemWords{})
		if !ok {
			return err
		}
		v.Data = importPage{Statement: form["statement"]}
		s.render(c, st, "import", v)
		return nil
	}
	s.imports.sweep(s.Now())
	s.imports.add(j)
	s.startRun(j, actor, false)
	redirect(c, "/import/"+j.ID)
	return nil
}

// takeUpload reads the form into fields and the file into a sealed file, and makes
// the job that checks it.
func (s *Server) takeUpload(c *gin.Context, actor cases.Actor, form map[string]string) (*importJob, error) {
	mr := multipartOf(c)
	if mr == nil {
		return nil, validation.Field("file", validation.FileMissing)
	}
	j := &importJob{ID: newJobID(), Org: actor.Org, UserID: actor.UserID, Lang: s.pageLang(c), touched: s.Now()}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, validation.Field("file", validation.UploadCut)
		}
		if part.FormName() != "file" {
			b, _ := io.ReadAll(io.LimitReader(part, 4*maxStatement))
			form[part.FormName()] = string(b)
			continue
		}
		if j.upload != nil {
			_ = j.upload.Remove() // a second file: only the last one counts
		}
		j.File = filepath.Base(strings.ReplaceAll(part.FileName(), `\`, "/"))
		if j.upload, _, err = copyUpload(s.TempDir, part); err != nil {
			if errors.Is(err, errUploadTooLarge) {
				return nil, validation.Field("file", validation.FileTooBig, "Max", 64)
			}
			return nil, err
		}
	}
	if j.upload == nil || j.File == "" || j.File == "." {
		problems := &validation.Error{}
		problems.Add("file", validation.ChooseFile)
		if strings.TrimSpace(form["statement"]) == "" {
			problems.Add("statement", validation.Required)
		}
		if j.upload != nil {
			_ = j.upload.Remove()
		}
		return nil, problems
	}
	ext := strings.ToLower(filepath.Ext(j.File))
	statement := strings.TrimSpace(form["statement"])
	problems := &validation.Error{}
	if ext != ".csv" && ext != ".xlsx" && ext != ".txt" {
		problems.Add("file", validation.CSVOrXLSX)
	}
	if statement == "" {
		problems.Add("statement", validation.Required)
	} else if utf8.RuneCountInString(statement) > maxStatement {
		problems.Add("statement", validation.TooLong, "Max", 500)
	}
	if err := problems.Err(); err != nil {
		_ = j.upload.Remove()
		return nil, err
	}
	j.Sheet = strings.TrimSpace(form["sheet"])
	j.Consent = imports.Consent{Statistics: form["statistics"] == "yes", LegalSharing: form["legal_sharing"] == "yes", Statement: statement}
	if err := s.openHeader(c, j); err != nil {
		_ = j.upload.Remove()
		return nil, err
	}
	return j, nil
}

// openHeader reads the file's header and proposes a mapping: the organization's
// saved choices first, then the names Registro recognises.
func (s *Server) openHeader(c *gin.Context, j *importJob) error {
	src, err := j.open()
	if err != nil {
		return validation.Field("file", validation.FileUnreadable)
	}
	defer src.Close()
	j.Header = src.Header()
	saved, err := imports.NewMappings(s.DB.Database).Load(c.Request.Context(), j.Org)
	if err != nil {
		return err
	}
	j.Mapping = imports.Guess(j.Header).With(saved, j.Header)
	return nil
}

// jobOf is the caller's job named in the URL.
func (s *Server) jobOf(c *gin.Context) (cases.Actor, *importJob, error) {
	actor, err := s.importActor(c)
	if err != nil {
		return actor, nil, err
	}
	j := s.imports.get(c.Param("job"), actor.Org, actor.UserID)
	if j == nil {
		return actor, nil, errNotFound
	}
	return actor, j, nil
}

func (s *Server) showImportJob(c *gin.Context) error {
	_, j, err := s.jobOf(c)
	if err != nil {
		return err
	}
	v := s.newView(c, "import.title")
	p := importPage{Job: j, Progress: j.view(), Fields: imports.Fields(), Confirmed: map[int]bool{}}
	for _, r := range j.Confirmed {
		p.Confirmed[r] = true
	}
	if p.Progress.State == "checking" || p.Progress.State == "importing" {
		v.Refresh = 2
	}
	v.Data = p
	s.render(c, http.StatusOK, "import_job", v)
	return nil
}

// remapImport takes the coordinator's mapping and confirmations and checks again.
func (s *Server) remapImport(c *gin.Context) error {
	actor, j, err := s.jobOf(c)
	if err != nil {
		return err
	}
	if busy(j) {
		return errImportBusy
	}
	m := imports.Mapping{Columns: map[string]imports.Field{}, Defaults: map[imports.Field]string{}}
	for i, h := range j.Header {
		m.Columns[h] = imports.Field(c.PostForm("col" + strconv.Itoa(i)))
	}
	for field, list := range map[imports.Field]string{imports.FieldPlace: "places", imports.FieldOutcome: "outcomes"} {
		v := c.PostForm("default_" + string(field))
		if v == "" {
			continue
		}
		if !s.Cases.Vocabulary().Has(vocabulary.List(list), v) {
			return validation.Field("default_"+string(field), validation.UnknownCode)
		}
		m.Defaults[field] = v
	}
	if err := m.Check(j.Header); err != nil {
		return validation.Field("mapping", validation.Mapping, "Detail", err.Error())
	}
	j.Mapping = m
	j.Confirmed = confirmedRows(c)
	s.startRun(j, actor, false)
	redirect(c, "/import/"+j.ID)
	return nil
}

// commitImport imports the ready rows and the minors' rows she confirmed.
func (s *Server) commitImport(c *gin.Context) error {
	actor, j, err := s.jobOf(c)
	if err != nil {
		return err
	}
	if busy(j) || j.view().State == "failed" {
		return errImportBusy
	}
	j.Confirmed = confirmedRows(c)
	s.startRun(j, actor, true)
	redirect(c, "/import/"+j.ID)
	return nil
}

func busy(j *importJob) bool {
	st := j.view().State
	return st == "checking" || st == "importing"
}

func confirmedRows(c *gin.Context) []int {
	var rows []int
	for _, v := range c.PostFormArray("minor") {
		if n, err := strconv.Atoi(v); err == nil && n > 1 {
			rows = append(rows, n)
		}
	}
	return rows
}

// downloadImportReport sends the last report: the file's rows with their problems.
func (s *Server) downloadImportReport(c *gin.Context) error {
	_, j, err := s.jobOf(c)
	if err != nil {
		return err
	}
	j.mu.Lock()
	report := j.report
	ready := j.state == "checked" || j.state == "imported"
	j.mu.Unlock()
	if report == nil || !ready {
		return errNotFound
	}
	in, err := report.Open()
	if err != nil {
		return err
	}
	defer in.Close()
	name := strings.TrimSuffix(j.File, filepath.Ext(j.File)) + "-informe.xlsx"
	c.Header("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(name, `"`, "")+`"`)
	c.DataFromReader(http.StatusOK, -1, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", in, nil)
	return nil
}
