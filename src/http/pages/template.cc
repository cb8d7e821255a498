#include "http/pages/template.h"

#include <algorithm>

namespace sesame::http {

struct TemplateSet::Node {
  enum class Kind { kText, kVariable, kSection, kInverted, kPartial };
  Kind kind = Kind::kText;
  std::string text;  // literal text, or the name
  std::vector<Node> children;
};

struct TemplateSet::Compiled {
  std::string name;
  std::vector<Node> nodes;
};

TemplateSet::TemplateSet() = default;
TemplateSet::~TemplateSet() = default;
TemplateSet::TemplateSet(TemplateSet&&) noexcept = default;
TemplateSet& TemplateSet::operator=(TemplateSet&&) noexcept = default;

TemplateData::Value& TemplateData::Slot(std::string_view name) {
  for (auto& [key, value] : values_) {
    if (key == name) {
      return *value;
    }
  }
  values_.emplace_back(std::string(name), std::make_unique<Value>());
  return *values_.back().second;
}

TemplateData& TemplateData::Text(std::string_view name, std::string value) {
  Value& slot = Slot(name);
  slot.kind = Value::Kind::kText;
  slot.text = std::move(value);
  return *this;
}

TemplateData& TemplateData::Flag(std::string_view name, bool value) {
  Value& slot = Slot(name);
  slot.kind = Value::Kind::kFlag;
  slot.flag = value;
  return *this;
}

TemplateData& TemplateData::List(std::string_view name) {
  Slot(name).kind = Value::Kind::kList;
  return *this;
}

TemplateData& TemplateData::AddItem(std::string_view name) {
  Value& slot = Slot(name);
  slot.kind = Value::Kind::kList;
  return slot.items.emplace_back();
}

const TemplateData::Value* TemplateData::Find(std::string_view name) const {
  for (const auto& [key, value] : values_) {
    if (key == name) {
      return value.get();
    }
  }
  return nullptr;
}

void AppendHtmlEscaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

Result<TemplateSet> TemplateSet::Parse(std::span<const EmbeddedFile> files) {
  TemplateSet set;
  for (const EmbeddedFile& file : files) {
    Compiled compiled{std::string(file.name), {}};
    // The open sections, innermost last: where the next node goes.
    std::vector<std::vector<Node>*> stack{&compiled.nodes};
    std::vector<std::string> open_names;
    const std::string_view text = file.content;
    size_t pos = 0;
    auto fail = [&](size_t at, std::string_view what) {
      return MakeError(ErrorCode::kInternal, std::string(file.name) + " at byte " +
                                                 std::to_string(at) + ": " + std::string(what));
    };
    while (pos < text.size()) {
      const size_t open = text.find("{{", pos);
      if (open != pos) {
        const size_t end = open == std::string_view::npos ? text.size() : open;
        stack.back()->push_back(
            Node{Node::Kind::kText, std::string(text.substr(pos, end - pos)), {}});
        pos = end;
        continue;
      }
      const size_t close = text.find("}}", open + 2);
      if (close == std::string_view::npos) {
        return fail(open, "unclosed {{");
      }
      std::string_view tag = Trim(text.substr(open + 2, close - open - 2));
      pos = close + 2;
      Node::Kind kind = Node::Kind::kVariable;
      char sigil = tag.empty() ? '\0' : tag.front();
      if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '>') {
        tag = Trim(tag.substr(1));
      }
      if (tag.empty() || !std::all_of(tag.begin(), tag.end(), IsNameChar)) {
        return fail(open, "a tag needs a name of letters, digits, '_', '-' or '.'");
      }
      switch (sigil) {
        case '#':
        case '^':
          kind = sigil == '#' ? Node::Kind::kSection : Node::Kind::kInverted;
          stack.back()->push_back(Node{kind, std::string(tag), {}});
          stack.push_back(&stack.back()->back().children);
          open_names.emplace_back(tag);
          continue;
        case '/':
          if (open_names.empty() || open_names.back() != tag) {
            return fail(open, "{{/" + std::string(tag) + "}} closes no open section");
          }
          open_names.pop_back();
          stack.pop_back();
          continue;
        case '>':
          kind = Node::Kind::kPartial;
          break;
        default:
          break;
      }
      stack.back()->push_back(Node{kind, std::string(tag), {}});
    }
    if (!open_names.empty()) {
      return fail(text.size(), "section " + open_names.back() + " is not closed");
    }
    set.templates_.push_back(std::move(compiled));
  }
  // Every partial must name a template of the set.
  for (const Compiled& compiled : set.templates_) {
    std::vector<const std::vector<Node>*> pending{&compiled.nodes};
    while (!pending.empty()) {
      const std::vector<Node>* nodes = pending.back();
      pending.pop_back();
      for (const Node& node : *nodes) {
        if (node.kind == Node::Kind::kPartial && !set.Has(node.text)) {
          return MakeError(ErrorCode::kInternal, compiled.name + ": unknown partial " + node.text);
        }
        pending.push_back(&node.children);
      }
    }
  }
  return set;
}

const TemplateSet::Compiled* TemplateSet::FindTemplate(std::string_view name) const {
  for (const Compiled& compiled : templates_) {
    if (compiled.name == name) {
      return &compiled;
    }
  }
  return nullptr;
}

bool TemplateSet::Has(std::string_view name) const {
  return FindTemplate(name) != nullptr;
}

namespace {

const TemplateData::Value* Lookup(const std::vector<const TemplateData*>& scope,
                                  std::string_view name) {
  for (auto it = scope.rbegin(); it != scope.rend(); ++it) {
    if (const TemplateData::Value* value = (*it)->Find(name)) {
      return value;
    }
  }
  return nullptr;
}

bool IsTruthy(const TemplateData::Value* value) {
  if (value == nullptr) {
    return false;
  }
  switch (value->kind) {
    case TemplateData::Value::Kind::kText:
      return !value->text.empty();
    case TemplateData::Value::Kind::kFlag:
      return value->flag;
    case TemplateData::Value::Kind::kList:
      return !value->items.empty();
  }
  return false;
}

// Partials may include partials; our templates nest two deep. The bound stops a template that
// includes itself from recursing without end.
constexpr int kMaxDepth = 16;

}  // namespace

void TemplateSet::RenderNodes(const std::vector<Node>& nodes,
                              std::vector<const TemplateData*>& scope, std::string& out,
                              int depth) const {
  for (const Node& node : nodes) {
    switch (node.kind) {
      case Node::Kind::kText:
        out += node.text;
        break;
      case Node::Kind::kVariable:
        if (const TemplateData::Value* value = Lookup(scope, node.text);
            value != nullptr && value->kind == TemplateData::Value::Kind::kText) {
          AppendHtmlEscaped(out, value->text);
        }
        break;
      case Node::Kind::kSection: {
        const TemplateData::Value* value = Lookup(scope, node.text);
        if (!IsTruthy(value)) {
          break;
        }
        if (value->kind == TemplateData::Value::Kind::kList) {
          for (const TemplateData& item : value->items) {
            scope.push_back(&item);
            RenderNodes(node.children, scope, out, depth);
            scope.pop_back();
          }
        } else {
          RenderNodes(node.children, scope, out, depth);
        }
        break;
      }
      case Node::Kind::kInverted:
        if (!IsTruthy(Lookup(scope, node.text))) {
          RenderNodes(node.children, scope, out, depth);
        }
        break;
      case Node::Kind::kPartial:
        if (depth < kMaxDepth) {
          RenderNodes(FindTemplate(node.text)->nodes, scope, out, depth + 1);
        }
        break;
    }
  }
}

std::string TemplateSet::Render(std::string_view name, const TemplateData& data) const {
  const Compiled* compiled = FindTemplate(name);
  std::string out;
  if (compiled == nullptr) {
    return out;
  }
  out.reserve(8192);
  std::vector<const TemplateData*> scope{&data};
  RenderNodes(compiled->nodes, scope, out, 0);
  return out;
}

}  // namespace sesame::http
