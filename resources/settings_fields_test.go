package resources

import (
	"reflect"
	"testing"
)

// TestSettingFieldsAccessors checks that each boolean argument is read and
// written through the model field whose tfsdk tag is that argument, and that
// every other field is a request_limits attribute: a setting added to
// settingFields with the wrong accessor would otherwise write into another
// argument without a word.
func TestSettingFieldsAccessors(t *testing.T) {
	var m settingsModel
	mv := reflect.ValueOf(&m).Elem()
	limits := requestLimitsTypes()
	seen := map[string]bool{}
	for _, f := range settingFields() {
		if seen[f.name] {
			t.Errorf("%s is listed twice", f.name)
		}
		seen[f.name] = true
		if f.boolean == nil {
			if _, ok := limits[f.name]; !ok {
				t.Errorf("%s has no accessor and is not an attribute of request_limits", f.name)
			}
			continue
		}
		target := reflect.ValueOf(f.boolean(&m)).Pointer()
		found := ""
		for i := range mv.NumField() {
			if mv.Field(i).Addr().Pointer() == target {
				found = mv.Type().Field(i).Tag.Get("tfsdk")
			}
		}
		if found != f.name {
			t.Errorf("the accessor of %s reaches the field tagged %q", f.name, found)
		}
	}
	for name := range limits {
		if !seen[name] {
			t.Errorf("request_limits attribute %s is not in settingFields", name)
		}
	}
}
