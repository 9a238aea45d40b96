// Parser and checker of the portable kernel dialect. It is not a C++ parser:
// it understands the top-level structure (kernels, helpers, constants,
// parameters) exactly, and scans bodies token by token for what the dialect
// forbids. Anything it lets through that a backend compiler rejects is
// reported by that compiler with the .dck line (generated code uses #line).
#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <unordered_map>

#include "dialect/lexer.hpp"
#include "dialect/module.hpp"
#include "dotcompute/errors.hpp"

namespace dotcompute::dialect {

namespace {

constexpr std::array<std::string_view, 6> kIndexBuiltins = {"dc_global_id",  "dc_global_size", "dc_local_id",
                                                            "dc_local_size", "dc_group_id",    "dc_num_groups"};
constexpr std::array<std::string_view, 33> kMathBuiltins = {
    "dc_sqrt", "dc_rsqrt", "dc_exp",   "dc_exp2",  "dc_log",   "dc_log2",    "dc_log10", "dc_pow",  "dc_sin",
    "dc_cos",  "dc_tan",   "dc_asin",  "dc_acos",  "dc_atan",  "dc_atan2",   "dc_sinh",  "dc_cosh", "dc_tanh",
    "dc_fabs", "dc_floor", "dc_ceil",  "dc_round", "dc_trunc", "dc_fmin",    "dc_fmax",  "dc_fma",  "dc_fmod",
    "dc_min",  "dc_max",   "dc_clamp", "dc_abs",   "dc_hypot", "dc_copysign"};
constexpr std::array<std::string_view, 4> kNotYetBuiltins = {"dc_barrier", "dc_atomic_", "dc_local_memory",
                                                             "dc_mem_fence"};
// Identifiers that may directly precede another identifier in a body without
// being a type (`return x`, `else y = ...`, `const float`, `unsigned int`).
const std::set<std::string_view> kLeadingWords = {
    "int",   "uint",   "long",     "ulong",     "float",       "double",      "bool",   "void",   "char",
    "short", "size_t", "unsigned", "signed",    "const",       "volatile",    "return", "else",   "case",
    "goto",  "do",     "sizeof",   "DC_GLOBAL", "DC_RESTRICT", "DC_CONSTANT", "inline", "ushort", "uchar"};
const std::set<std::string_view> kCallLikeKeywords = {"if",     "for",  "while", "switch", "return",
                                                      "sizeof", "else", "do",    "case"};
const std::set<std::string_view> kUnsupportedWords = {"struct",   "class",     "union", "enum", "typedef",  "using",
                                                      "template", "namespace", "auto",  "asm",  "operator", "virtual"};

bool is_kernel_type(std::string_view name) { return scalar_type_from_dialect(name).has_value(); }

class Parser {
 public:
  Parser(std::string_view source, std::string_view path) : tokens_(tokenize(source)) {
    module_.path = std::string(path);
  }

  Module run() {
    while (current().kind != TokenKind::end) top_level();
    for (std::size_t i = 0; i < module_.functions.size(); ++i) {
      if (module_.functions[i].has_body) check_body(i);
    }
    check_recursion();
    std::stable_sort(module_.diagnostics.begin(), module_.diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                       return a.line != b.line ? a.line < b.line : a.column < b.column;
                     });
    return std::move(module_);
  }

 private:
  struct FunctionExtent {
    std::size_t declared_at;  // token index of the first declaration
    std::size_t body_begin;   // '{'
    std::size_t body_end;     // matching '}'
  };

  // --- helpers ---------------------------------------------------------------
  const Token& current() const { return tokens_[index_]; }
  const Token& at(std::size_t i) const { return tokens_[std::min(i, tokens_.size() - 1)]; }
  bool is(std::size_t i, std::string_view text) const {
    return at(i).kind != TokenKind::end && at(i).kind != TokenKind::literal && at(i).text == text;
  }
  void error(const Token& where, std::string message) {
    module_.diagnostics.push_back({module_.path, where.line, where.column, std::move(message)});
  }
  // Index of the token closing the bracket opened at `open`, or the end token.
  std::size_t matching(std::size_t open) const {
    const std::string_view opener = tokens_[open].text;
    const std::string_view closer = opener == "(" ? ")" : opener == "[" ? "]" : "}";
    int depth = 0;
    for (std::size_t i = open; i < tokens_.size(); ++i) {
      if (tokens_[i].kind == TokenKind::end) return i;
      if (tokens_[i].kind != TokenKind::punctuation) continue;
      if (tokens_[i].text == opener) ++depth;
      if (tokens_[i].text == closer && --depth == 0) return i;
    }
    return tokens_.size() - 1;
  }
  // Skips one top-level declaration: up to ';' or through a braced body.
  void skip_declaration() {
    while (current().kind != TokenKind::end) {
      if (is(index_, ";")) {
        ++index_;
        return;
      }
      if (is(index_, "{")) {
        index_ = matching(index_) + 1;
        if (is(index_, ";")) ++index_;
        return;
      }
      if (is(index_, "(") || is(index_, "[")) {
        index_ = matching(index_);
      }
      ++index_;
    }
  }
  std::optional<std::size_t> function_index(std::string_view name) const {
    const auto found = function_by_name_.find(std::string(name));
    if (found == function_by_name_.end()) return std::nullopt;
    return found->second;
  }

  // --- top level ------------------------------------------------------------
  void top_level() {
    const Token& token = current();
    if (token.kind == TokenKind::directive) {
      directive(token);
      ++index_;
      return;
    }
    if (is(index_, ";")) {
      ++index_;
      return;
    }
    if (token.text == "DC_KERNEL" || token.text == "DC_FUNC") {
      function();
      return;
    }
    if (token.text == "DC_CONSTANT") {
      constant();
      return;
    }
    if (kUnsupportedWords.contains(token.text)) {
      error(token, "'" + std::string(token.text) + "' is not supported in the kernel dialect");
      skip_declaration();
      return;
    }
    unmarked_declaration();
  }

  void directive(const Token& token) {
    std::string_view text = token.text.substr(1);
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    std::size_t length = 0;
    while (length < text.size() && std::isalpha(static_cast<unsigned char>(text[length]))) ++length;
    const std::string_view name = text.substr(0, length);
    if (name == "include") {
      error(token,
            "#include is not supported: a .dck file must be self-contained (built-ins come from each "
            "backend's prelude)");
    } else if (name == "define") {
      std::string_view rest = text.substr(length);
      while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
      std::size_t end = 0;
      while (end < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[end])) || rest[end] == '_')) ++end;
      macros_.insert(std::string(rest.substr(0, end)));
    } else if (name != "undef" && name != "if" && name != "ifdef" && name != "ifndef" && name != "elif" &&
               name != "else" && name != "endif" && name != "pragma" && name != "error") {
      error(token, "unsupported preprocessor directive '#" + std::string(name) + "'");
    }
  }

  // A declaration without DC_KERNEL / DC_FUNC / DC_CONSTANT: always an error;
  // say which kind it is.
  void unmarked_declaration() {
    const std::size_t start = index_;
    const Token* name = nullptr;
    bool is_function = false;
    bool is_const = false;
    bool is_static = false;
    for (std::size_t i = start; at(i).kind != TokenKind::end && !is(i, ";") && !is(i, "{") && !is(i, "="); ++i) {
      if (at(i).text == "const") is_const = true;
      if (at(i).text == "static") is_static = true;
      if (is(i, "(")) {
        is_function = true;
        break;
      }
      if (is(i, "[")) break;
      if (at(i).kind == TokenKind::identifier) name = &at(i);
    }
    const Token& where = name != nullptr ? *name : current();
    const std::string quoted = "'" + std::string(where.text) + "'";
    if (is_function) {
      error(where, "function " + quoted + " must be marked DC_KERNEL (a kernel) or DC_FUNC (a helper)");
    } else if (is_const) {
      error(where, "file-scope constant " + quoted + " must be declared DC_CONSTANT");
    } else {
      error(where, std::string(is_static ? "mutable static" : "mutable global") + " variable " + quoted +
                       " is not allowed in kernel code (no mutable statics); use DC_CONSTANT for constants");
    }
    skip_declaration();
  }

  void constant() {
    ++index_;  // DC_CONSTANT
    if (is(index_, "const")) ++index_;
    const Token& type = current();
    if (!is_kernel_type(type.text) && type.text != "bool") {
      error(type, "unknown type '" + std::string(type.text) + "'");
    }
    ++index_;
    if (is(index_, "const")) ++index_;
    if (current().kind == TokenKind::identifier) {
      constants_.insert(std::string(current().text));
    } else {
      error(current(), "expected the constant's name");
    }
    skip_declaration();
  }

  void function() {
    const Token& marker = current();
    const bool kernel = marker.text == "DC_KERNEL";
    const std::size_t declared_at = index_;
    ++index_;
    while (is(index_, "inline") || is(index_, "static")) ++index_;
    std::string return_type;
    std::size_t type_tokens = 0;
    while (current().kind == TokenKind::identifier && !is(index_ + 1, "(")) {
      if (!return_type.empty()) return_type += ' ';
      return_type += std::string(current().text);
      ++type_tokens;
      ++index_;
    }
    if (current().kind != TokenKind::identifier || !is(index_ + 1, "(")) {
      error(current(), is(index_, "*") ? "functions cannot return pointers" : "expected a function name and '('");
      skip_declaration();
      return;
    }
    const Token& name = current();
    Function function;
    function.name = std::string(name.text);
    function.kernel = kernel;
    function.return_type = return_type;
    function.line = name.line;
    function.column = name.column;
    if (kernel && return_type != "void") {
      error(name, "kernel '" + function.name + "' must return void");
    } else if (!kernel && type_tokens != 1) {
      error(name, "helper '" + function.name +
                      "' needs a return type (void, bool, int, uint, long, ulong, float "
                      "or double)");
    } else if (!kernel && return_type != "void" && return_type != "bool" && !is_kernel_type(return_type)) {
      error(at(declared_at + 1), "unknown type '" + return_type + "'");
    }
    ++index_;  // name
    const std::size_t close = matching(index_);
    parameters(function, index_ + 1, close);
    index_ = close + 1;
    std::size_t body_begin = 0;
    std::size_t body_end = 0;
    if (is(index_, "{")) {
      function.has_body = true;
      body_begin = index_;
      body_end = matching(index_);
      index_ = body_end + 1;
    } else if (is(index_, ";")) {
      ++index_;
      if (kernel) error(name, "kernel '" + function.name + "' has no body");
    } else {
      error(current(), "expected '{' or ';' after the parameters of '" + function.name + "'");
      skip_declaration();
      return;
    }
    add_function(std::move(function), name, {declared_at, body_begin, body_end});
  }

  void add_function(Function function, const Token& name, FunctionExtent extent) {
    const auto existing = function_index(function.name);
    if (!existing) {
      function_by_name_[function.name] = module_.functions.size();
      module_.functions.push_back(std::move(function));
      extents_.push_back(extent);
      return;
    }
    Function& previous = module_.functions[*existing];
    const std::string where = module_.path + ":" + std::to_string(previous.line);
    if (previous.kernel || function.kernel) {
      error(name, std::string(function.kernel ? "kernel" : "function") + " name '" + function.name +
                      "' is already used at " + where +
                      (function.kernel && previous.kernel ? " (duplicate kernel name)" : ""));
    } else if (previous.has_body && function.has_body) {
      error(name, "helper '" + function.name + "' is already defined at " + where);
    } else if (function.has_body) {
      // A definition after a prototype: keep the earlier declaration point.
      extent.declared_at = extents_[*existing].declared_at;
      previous = std::move(function);
      extents_[*existing] = extent;
    }
  }

  void parameters(Function& function, std::size_t begin, std::size_t end) {
    if (begin == end || (end == begin + 1 && at(begin).text == "void")) return;
    std::size_t start = begin;
    for (std::size_t i = begin; i <= end; ++i) {
      if (is(i, "(") || is(i, "[")) {
        i = matching(i);
        continue;
      }
      if (i == end || is(i, ",")) {
        parameter(function, start, i);
        start = i + 1;
      }
    }
    if (!function.kernel) return;
    if (function.parameters.size() > kMaxKernelParameters) {
      error(at(begin), "kernel '" + function.name + "' has " + std::to_string(function.parameters.size()) +
                           " parameters; at most " + std::to_string(kMaxKernelParameters) + " are supported");
    }
    // DC_SIZE expressions may name any integer scalar parameter of the kernel.
    std::vector<KernelParameter> converted;
    for (const auto& p : function.parameters) {
      KernelParameter k;
      k.name = p.name;
      k.kind = p.buffer ? ParameterKind::buffer : ParameterKind::scalar;
      k.type = scalar_type_from_dialect(p.type_name).value_or(ScalarType::float32);
      converted.push_back(std::move(k));
    }
    for (const auto& p : function.parameters) {
      if (p.size_expression.empty()) continue;
      try {
        (void)SizeExpression::parse(p.size_expression, converted);
      } catch (const RegistrationError& e) {
        module_.diagnostics.push_back({module_.path, p.line, p.column, e.what()});
      }
    }
  }

  void parameter(Function& function, std::size_t begin, std::size_t end) {
    Parameter p;
    const Token* type_token = nullptr;
    const Token* name_token = nullptr;
    bool global = false;
    int pointers = 0;
    for (std::size_t i = begin; i < end; ++i) {
      const Token& t = at(i);
      if (t.text == "DC_GLOBAL") {
        global = true;
      } else if (t.text == "const") {
        p.is_const = true;
      } else if (t.text == "DC_WRITE_ONLY") {
        p.write_only = true;
      } else if (t.text == "DC_RESTRICT" || t.text == "restrict" || t.text == "__restrict__") {
        // allowed marker, no effect on the signature
      } else if (t.text == "DC_SIZE") {
        if (!is(i + 1, "(")) {
          error(t, "DC_SIZE needs a parenthesised expression");
          continue;
        }
        const std::size_t close = matching(i + 1);
        if (close > i + 2) {
          const char* first = at(i + 2).text.data();
          const char* last = at(close - 1).text.data() + at(close - 1).text.size();
          p.size_expression = std::string(first, static_cast<std::size_t>(last - first));
        } else {
          error(t, "DC_SIZE needs an expression");
        }
        i = close;
      } else if (t.text == "*") {
        ++pointers;
      } else if (t.text == "&") {
        error(t, "reference parameters are not supported; pass buffers as DC_GLOBAL pointers");
        return;
      } else if (t.text == "[") {
        error(t, "array parameters are not supported; pass buffers as DC_GLOBAL pointers");
        return;
      } else if (t.kind == TokenKind::identifier && type_token == nullptr) {
        type_token = &t;
      } else if (t.kind == TokenKind::identifier && name_token == nullptr) {
        name_token = &t;
      } else {
        error(t, "unexpected '" + std::string(t.text) + "' in a parameter of '" + function.name + "'");
        return;
      }
    }
    if (type_token == nullptr) {
      error(at(begin),
            "parameter " + std::to_string(function.parameters.size() + 1) + " of '" + function.name + "' has no type");
      return;
    }
    const Token& where = name_token != nullptr ? *name_token : *type_token;
    p.name = name_token != nullptr ? std::string(name_token->text) : std::string();
    p.type_name = std::string(type_token->text);
    p.buffer = global;
    p.line = where.line;
    p.column = where.column;
    const std::string quoted = "'" + p.name + "'";
    const bool known = is_kernel_type(p.type_name) || (!function.kernel && p.type_name == "bool" && pointers == 0);
    if (!known) {
      error(*type_token, "unknown type '" + p.type_name +
                             "' (parameters may be int, uint, long, ulong, float, "
                             "double, or DC_GLOBAL pointers to them)");
    } else if (name_token == nullptr) {
      error(*type_token, "a parameter of '" + function.name + "' has no name");
    } else if (pointers > 1) {
      error(where, "pointer-to-pointer parameter " + quoted + " is not supported");
    } else if (pointers == 1 && !global) {
      error(where, "pointer parameter " + quoted + " must be DC_GLOBAL (buffers are the only pointers a kernel takes)");
    } else if (pointers == 0 && global) {
      error(where, "DC_GLOBAL parameter " + quoted + " must be a pointer");
    } else if (p.write_only && !global) {
      error(where, "DC_WRITE_ONLY applies to buffer parameters only, not to " + quoted);
    } else if (p.write_only && p.is_const) {
      error(where, "parameter " + quoted + " cannot be both const and DC_WRITE_ONLY");
    } else if (!p.size_expression.empty() && !global) {
      error(where, "DC_SIZE applies to buffer parameters only, not to " + quoted);
    }
    function.parameters.push_back(std::move(p));
  }

  // --- bodies ---------------------------------------------------------------
  void check_body(std::size_t function_index_value) {
    Function& function = module_.functions[function_index_value];
    const FunctionExtent extent = extents_[function_index_value];
    std::set<std::size_t> callees;
    for (std::size_t i = extent.body_begin + 1; i < extent.body_end; ++i) {
      const Token& t = at(i);
      if (t.kind == TokenKind::directive) {
        directive(t);
        continue;
      }
      if (t.kind == TokenKind::punctuation) {
        if (t.text == "::") error(t, "qualified names ('::') are not supported in kernels");
        if (t.text == "(" && is(i + 1, "*") && at(i + 2).kind == TokenKind::identifier && is(i + 3, ")") &&
            is(i + 4, "(")) {
          error(t, "function pointers are not supported in kernels");
        }
        continue;
      }
      if (t.kind != TokenKind::identifier) continue;
      const std::string_view word = t.text;
      const std::string quoted = "'" + std::string(word) + "'";
      if (word == "new" || word == "delete") {
        error(t, "dynamic allocation (" + quoted + ") is not allowed in kernels");
      } else if (word == "throw" || word == "try" || word == "catch") {
        error(t, "exceptions (" + quoted + ") are not allowed in kernels");
      } else if (word == "static") {
        error(t,
              "static local variables are not allowed in kernels (no mutable statics); use DC_CONSTANT at file "
              "scope for constants");
      } else if (kUnsupportedWords.contains(word)) {
        error(t, quoted + " is not supported in the kernel dialect");
      } else if (word == "std" && is(i + 1, "::")) {
        error(t, "'std::' is not available in kernels; use the dc_* built-ins");
        ++i;
      } else if (const auto callee = function_index(word)) {
        if (!is(i + 1, "(")) {
          error(t, "function pointers are not supported: " + quoted + " is used as a value");
        } else if (module_.functions[*callee].kernel) {
          error(t, "kernel " + quoted +
                       " cannot be called from kernel code; move the shared code into a DC_FUNC "
                       "helper");
        } else if (extents_[*callee].declared_at > i) {
          error(t, "helper " + quoted + " is used before it is declared; define it above '" + function.name + "'");
        } else {
          callees.insert(*callee);
        }
      } else if (word.starts_with("dc_")) {
        builtin(function, i);
      } else if (is(i + 1, "(")) {
        if (!kCallLikeKeywords.contains(word) && !kLeadingWords.contains(word) &&
            !macros_.contains(std::string(word))) {
          error(t, "call to unknown function " + quoted +
                       " (kernels can call DC_FUNC helpers defined above them and dc_* built-ins)");
        }
      } else if (at(i + 1).kind == TokenKind::identifier && !kLeadingWords.contains(word) &&
                 !macros_.contains(std::string(word)) && !constants_.contains(std::string(word))) {
        error(t, "unknown type " + quoted);
      }
    }
    function.callees.assign(callees.begin(), callees.end());
  }

  void builtin(Function& function, std::size_t i) {
    const Token& t = at(i);
    const std::string quoted = "'" + std::string(t.text) + "'";
    if (std::find(kIndexBuiltins.begin(), kIndexBuiltins.end(), t.text) != kIndexBuiltins.end()) {
      const bool literal = is(i + 1, "(") && at(i + 2).kind == TokenKind::number && is(i + 3, ")");
      const int dimension = literal && at(i + 2).text.size() == 1 ? at(i + 2).text[0] - '0' : -1;
      if (dimension < 0 || dimension > 2) {
        error(t, quoted + " takes a literal dimension: 0, 1 or 2");
        return;
      }
      function.own_dimensions = std::max(function.own_dimensions, dimension + 1);
      return;
    }
    if (std::find(kMathBuiltins.begin(), kMathBuiltins.end(), t.text) != kMathBuiltins.end()) {
      if (!is(i + 1, "(")) error(t, "function pointers are not supported: " + quoted + " is used as a value");
      return;
    }
    for (std::string_view prefix : kNotYetBuiltins) {
      if (t.text.starts_with(prefix)) {
        error(t, quoted +
                     " is not supported yet: barriers, local memory and atomics are not implemented in this "
                     "version of dotcompute");
        return;
      }
    }
    error(t, "unknown built-in " + quoted);
  }

  // --- call graph ------------------------------------------------------------
  void check_recursion() {
    enum class Mark { unvisited, active, done };
    std::vector<Mark> marks(module_.functions.size(), Mark::unvisited);
    std::vector<std::size_t> path;
    auto visit = [&](auto&& self, std::size_t node) -> void {
      marks[node] = Mark::active;
      path.push_back(node);
      for (std::size_t callee : module_.functions[node].callees) {
        if (marks[callee] == Mark::active) {
          std::string cycle;
          const auto from = std::find(path.begin(), path.end(), callee);
          for (auto it = from; it != path.end(); ++it) cycle += module_.functions[*it].name + " -> ";
          cycle += module_.functions[callee].name;
          const Function& f = module_.functions[callee];
          module_.diagnostics.push_back(
              {module_.path, f.line, f.column, "recursion is not allowed in kernel code: " + cycle});
        } else if (marks[callee] == Mark::unvisited) {
          self(self, callee);
        }
      }
      path.pop_back();
      marks[node] = Mark::done;
    };
    for (std::size_t i = 0; i < module_.functions.size(); ++i) {
      if (marks[i] == Mark::unvisited) visit(visit, i);
    }
  }

  std::vector<Token> tokens_;
  std::size_t index_ = 0;
  Module module_;
  std::vector<FunctionExtent> extents_;
  std::unordered_map<std::string, std::size_t> function_by_name_;
  std::set<std::string, std::less<>> constants_;
  std::set<std::string, std::less<>> macros_;
};

}  // namespace

std::string Diagnostic::format() const {
  return path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: " + message;
}

std::string format_diagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const auto& d : diagnostics) {
    if (!text.empty()) text += '\n';
    text += d.format();
  }
  return text;
}

Module parse_module(std::string_view source, std::string_view path) { return Parser(source, path).run(); }

int Module::dimensions_of(const Function& function) const {
  int dimensions = function.own_dimensions;
  std::vector<bool> seen(functions.size(), false);
  std::vector<std::size_t> stack(function.callees.begin(), function.callees.end());
  while (!stack.empty()) {
    const std::size_t next = stack.back();
    stack.pop_back();
    if (seen[next]) continue;
    seen[next] = true;
    dimensions = std::max(dimensions, functions[next].own_dimensions);
    stack.insert(stack.end(), functions[next].callees.begin(), functions[next].callees.end());
  }
  return dimensions;
}

std::vector<KernelDefinition> kernel_definitions(const Module& module,
                                                 const std::shared_ptr<const KernelSource>& source) {
  std::vector<KernelDefinition> definitions;
  for (const Function& function : module.functions) {
    if (!function.kernel) continue;
    KernelDefinition definition;
    definition.name = function.name;
    definition.dimensions = module.dimensions_of(function);
    definition.source = source;
    definition.origin = module.path + ":" + std::to_string(function.line);
    for (const Parameter& p : function.parameters) {
      KernelParameter parameter;
      parameter.name = p.name;
      parameter.type = *scalar_type_from_dialect(p.type_name);
      parameter.kind = p.buffer ? ParameterKind::buffer : ParameterKind::scalar;
      parameter.access = !p.buffer || p.is_const ? Access::read_only
                         : p.write_only          ? Access::write_only
                                                 : Access::read_write;
      definition.parameters.push_back(std::move(parameter));
    }
    for (std::size_t i = 0; i < function.parameters.size(); ++i) {
      if (function.parameters[i].size_expression.empty()) continue;
      definition.parameters[i].required_elements =
          SizeExpression::parse(function.parameters[i].size_expression, definition.parameters);
    }
    definitions.push_back(std::move(definition));
  }
  return definitions;
}

}  // namespace dotcompute::dialect
