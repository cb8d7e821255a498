#pragma once

// The pages' template language, small enough to read in one sitting (a Mustache subset):
//   {{name}}              the value of `name`, HTML-escaped: the only way data reaches a page
//   {{#name}}...{{/name}} a section: once per item of a list, once if a flag is true or a text
//                         is not empty, else not at all
//   {{^name}}...{{/name}} the inverse: only when `name` is false, empty or absent
//   {{>name}}             another template of the same set (a partial), in the same context
// There is no unescaped output, so every page is escaped by construction; values may sit in
// element content and in double-quoted attributes. Names are looked up from the innermost
// section outwards. A name that is absent renders as nothing.
//
// Why our own: Debian 12's only C++ template engine, ctemplate, is archived upstream; what the
// pages need fits in this file and its .cc, and owning it lets "no raw output" be a property of
// the language rather than a convention.
//
// TemplateSet is immutable after Parse() and safe to share across threads. TemplateData is a
// plain value, built per request.

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace sesame::http {

// A file compiled into the binary (cmake/SesameEmbed.cmake).
struct EmbeddedFile {
  std::string_view name;
  std::string_view content;
};

class TemplateData {
 public:
  TemplateData& Text(std::string_view name, std::string value);
  TemplateData& Flag(std::string_view name, bool value);
  // Appends an item to the list `name` (creating it) and returns it; the reference is valid
  // until the next AddItem on the same list.
  TemplateData& AddItem(std::string_view name);
  // Declares `name` a list even if no item is ever added (so {{^name}} shows).
  TemplateData& List(std::string_view name);

  struct Value;
  const Value* Find(std::string_view name) const;

 private:
  Value& Slot(std::string_view name);
  std::vector<std::pair<std::string, std::unique_ptr<Value>>> values_;
};

struct TemplateData::Value {
  enum class Kind { kText, kFlag, kList };
  Kind kind = Kind::kText;
  std::string text;
  bool flag = false;
  std::vector<TemplateData> items;
};

class TemplateSet {
 public:
  // Parses every file. kInternal naming the file and byte offset on a syntax error: an
  // unclosed tag or section, a mismatched {{/name}}, an empty name, an unknown partial.
  [[nodiscard]] static Result<TemplateSet> Parse(std::span<const EmbeddedFile> files);

  bool Has(std::string_view name) const;
  // Renders template `name` (which must exist) with `data`.
  std::string Render(std::string_view name, const TemplateData& data) const;

  struct Node;
  TemplateSet();
  ~TemplateSet();
  TemplateSet(TemplateSet&&) noexcept;
  TemplateSet& operator=(TemplateSet&&) noexcept;

 private:
  struct Compiled;
  std::vector<Compiled> templates_;
  const Compiled* FindTemplate(std::string_view name) const;
  void RenderNodes(const std::vector<Node>& nodes, std::vector<const TemplateData*>& scope,
                   std::string& out, int depth) const;
};

// Appends `text` to `out` with & < > " ' escaped.
void AppendHtmlEscaped(std::string& out, std::string_view text);

}  // namespace sesame::http
