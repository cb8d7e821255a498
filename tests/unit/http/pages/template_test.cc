#include "http/pages/template.h"

#include <span>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "result_matchers.h"

namespace sesame::http {

extern const std::span<const EmbeddedFile> kPageTemplates;

namespace {

using ::sesame::testing::HasError;
using ::testing::HasSubstr;

std::string RenderOne(std::string_view text, const TemplateData& data) {
  const EmbeddedFile files[] = {{"t", text}};
  auto set = TemplateSet::Parse(files);
  EXPECT_TRUE(set.has_value()) << set.error().detail;
  return set->Render("t", data);
}

TEST(TemplateSet, EscapesEveryValueAndHasNoRawOutput) {
  TemplateData data;
  data.Text("x", "<script>alert('1')</script> & \"q\"");
  EXPECT_EQ(RenderOne("<p title=\"{{x}}\">{{x}}</p>", data),
            "<p title=\"&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; &quot;q&quot;\">"
            "&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>");
  // Mustache's raw forms are not part of the language: they do not parse.
  const EmbeddedFile triple[] = {{"t", "{{{x}}}"}};
  EXPECT_THAT(TemplateSet::Parse(triple), HasError(ErrorCode::kInternal));
  const EmbeddedFile ampersand[] = {{"t", "{{& x}}"}};
  EXPECT_THAT(TemplateSet::Parse(ampersand), HasError(ErrorCode::kInternal));
}

TEST(TemplateSet, SectionsRepeatListsAndTestFlagsAndTexts) {
  TemplateData data;
  data.AddItem("items").Text("name", "a");
  data.AddItem("items").Text("name", "b<");
  data.Flag("on", true).Flag("off", false).Text("word", "w").Text("empty", "");
  data.List("none");
  data.Text("outer", "O");
  EXPECT_EQ(RenderOne("{{#items}}[{{name}}{{outer}}]{{/items}}", data), "[aO][b&lt;O]");
  EXPECT_EQ(RenderOne("{{#on}}1{{/on}}{{#off}}2{{/off}}{{^off}}3{{/off}}", data), "13");
  EXPECT_EQ(RenderOne("{{#word}}{{word}}{{/word}}{{#empty}}E{{/empty}}{{^empty}}e{{/empty}}", data),
            "we");
  EXPECT_EQ(RenderOne("{{#none}}x{{/none}}{{^none}}no items{{/none}}{{^absent}}!{{/absent}}", data),
            "no items!");
  EXPECT_EQ(RenderOne("{{absent}}|{{items}}|{{on}}", data), "||");
}

TEST(TemplateSet, InnerNamesShadowOuterOnes) {
  TemplateData data;
  data.Text("name", "outer");
  data.AddItem("list").Text("name", "inner");
  data.AddItem("list");
  EXPECT_EQ(RenderOne("{{#list}}{{name}};{{/list}}{{name}}", data), "inner;outer;outer");
}

TEST(TemplateSet, PartialsRenderInTheCallersContext) {
  const EmbeddedFile files[] = {{"page", "<{{>part}}>"}, {"part", "{{x}}"}};
  auto set = TemplateSet::Parse(files);
  ASSERT_TRUE(set.has_value());
  TemplateData data;
  data.Text("x", "&");
  EXPECT_EQ(set->Render("page", data), "<&amp;>");
  EXPECT_EQ(set->Render("missing", data), "");
  // A partial that includes itself stops at the depth bound instead of recursing forever.
  const EmbeddedFile loop[] = {{"loop", "a{{>loop}}"}};
  auto looped = TemplateSet::Parse(loop);
  ASSERT_TRUE(looped.has_value());
  EXPECT_EQ(looped->Render("loop", data), std::string(17, 'a'));
}

TEST(TemplateSet, SyntaxErrorsNameTheTemplateAndPlace) {
  struct Case {
    std::string_view text;
    std::string_view message;
  };
  for (const Case& c : std::vector<Case>{
           {"abc {{x", "unclosed {{"},
           {"{{#a}}x", "section a is not closed"},
           {"{{#a}}{{/b}}", "closes no open section"},
           {"{{/a}}", "closes no open section"},
           {"{{}}", "needs a name"},
           {"{{a b}}", "needs a name"},
           {"{{>nowhere}}", "unknown partial nowhere"},
       }) {
    const EmbeddedFile files[] = {{"broken.html", c.text}};
    auto set = TemplateSet::Parse(files);
    ASSERT_FALSE(set.has_value()) << c.text;
    EXPECT_THAT(set.error().detail, HasSubstr("broken.html")) << c.text;
    EXPECT_THAT(set.error().detail, HasSubstr(c.message)) << c.text;
  }
}

TEST(TemplateSet, EveryBuiltInPageTemplateParses) {
  auto set = TemplateSet::Parse(kPageTemplates);
  ASSERT_TRUE(set.has_value()) << set.error().detail;
  for (const char* name : {"login.html", "home.html", "devices.html", "admin.html",
                           "admin_user.html", "error.html", "refresh.html"}) {
    EXPECT_TRUE(set->Has(name)) << name;
  }
}

// " onclick=", " onload=" and the like: inline script by another name.
bool HasEventHandlerAttribute(std::string_view text) {
  for (size_t at = text.find(" on"); at != std::string_view::npos; at = text.find(" on", at + 1)) {
    size_t end = at + 3;
    while (end < text.size() && text[end] >= 'a' && text[end] <= 'z') {
      ++end;
    }
    if (end > at + 3 && end < text.size() && text[end] == '=') {
      return true;
    }
  }
  return false;
}

TEST(TemplateSet, TheInlineScriptCheckFindsHandlers) {
  EXPECT_TRUE(HasEventHandlerAttribute("<img src=x onerror=alert(1)>"));
  EXPECT_TRUE(HasEventHandlerAttribute("<body onload=\"x\">"));
  EXPECT_FALSE(HasEventHandlerAttribute("<p>Sign out on every device</p>"));
}

TEST(TemplateSet, NoBuiltInTemplateHasInlineScriptOrStyle) {
  // The CSP allows scripts and styles from our own files only; an inline one would be blocked
  // in the browser, so catch it here first.
  for (const EmbeddedFile& file : kPageTemplates) {
    const std::string_view text = file.content;
    EXPECT_EQ(text.find("<script>"), std::string_view::npos) << file.name;
    EXPECT_EQ(text.find("style="), std::string_view::npos) << file.name;
    EXPECT_EQ(text.find("<style"), std::string_view::npos) << file.name;
    EXPECT_FALSE(HasEventHandlerAttribute(text)) << file.name;
  }
}

}  // namespace
}  // namespace sesame::http
