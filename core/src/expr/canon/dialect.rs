//! The dialect the canonicalizer parses with: PostgreSQL's, with a fast path for the
//! commonest expression prefixes.
//!
//! sqlparser reads every expression prefix by first trying to parse a type name followed
//! by a literal (`date '2024-01-01'`) and, when that fails, building an error message and
//! starting over, then by trying the keyword's special meaning. The fast path reads a
//! prefix directly where that attempt cannot succeed and returns what sqlparser would
//! return without it:
//! - a word that is no keyword or an ordinary one ([`special`] says which are not), as an
//!   identifier or a function call, unless a name followed by a literal, `[` or `ARRAY`
//!   could read as a typed literal (the dialect has no lambda functions and no `(+)`
//!   outer joins, the only other readings);
//! - `TRUE`, `FALSE`, `NULL`, `CURRENT_USER` and its kin, `NOT`, `EXISTS`, under the
//!   same condition;
//! - a parenthesized expression, list or sub-query; a unary `-` or `+`; a number or a plain
//!   string.
//!
//! Where the fast path's reading fails, it gives the position back and sqlparser's own
//! path reads the prefix (and reports the error). One difference remains, at sqlparser's
//! recursion limit (50 nested calls): sqlparser's speculative typed-literal attempt for a
//! leaf can be the one call too deep, and sqlparser refuses a text the fast path reads
//! (with the tree sqlparser gives one level shallower), never the other way round; the test
//! `fast_path_reads_deep_nesting_as_sqlparser_does` pins that down. Everything else (`CASE`, `ARRAY`,
//! `INTERVAL`, type names, typed literals, ...) takes sqlparser's own path. The two are
//! proven equal on the corpus, the grammar cases, every keyword in several shapes and
//! generated texts (tests in `super::tests` and `core/tests/grammar.rs`).

use std::any::TypeId;

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments,
    ObjectName, ObjectNamePart, UnaryOperator,
};
use sqlparser::dialect::{BindPlaceholderStyle, Dialect, PostgreSqlDialect, Precedence};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// [`PostgreSqlDialect`] in every respect (sqlparser's own checks for the PostgreSQL
/// dialect see it as one), with the fast path above, for token streams without white
/// space and without the word `PRIOR` (whose reading inside parentheses depends on a
/// parser state the fast path cannot set); `super::parse_with` reads others without the
/// fast path.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PgDialect {
    /// Without the fast path: exactly [`PostgreSqlDialect`] (for the equality proof).
    pub(crate) plain: bool,
}

fn is_string(t: &Token) -> bool {
    matches!(
        t,
        Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::EscapedStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::DollarQuotedString(_)
            | Token::NationalStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
    )
}

/// The index of the token ahead of the parser. The token streams read with this dialect
/// hold no white space (`super::parse_with` drops it), so the tokens ahead are
/// `token_at(position + i)`, each reached in constant time.
fn position(parser: &Parser) -> usize {
    // `get_current_index` is the last token read, and 0 also before any was read
    let cur = parser.get_current_index();
    if std::ptr::eq(parser.token_at(cur), parser.peek_token_ref()) {
        cur
    } else {
        cur + 1
    }
}

/// Whether the name at the parser's position (`a`, `a.b.c`, `a(...)`) cannot start a
/// typed literal. sqlparser's attempt reads a dotted name, then optional type modifiers
/// (words, numbers and strings between commas in parentheses), then array brackets or
/// `ARRAY`, then a literal; it fails, as the fast path assumes, when the parentheses hold
/// anything else, or when no literal, `[`, `ARRAY` or `ZEROFILL` follows.
fn no_typed_literal(parser: &Parser) -> bool {
    let at = position(parser);
    let tok = |i: usize| &parser.token_at(at + i).token;
    let mut i = 1;
    while *tok(i) == Token::Period && matches!(tok(i + 1), Token::Word(_)) {
        i += 2;
    }
    if *tok(i) == Token::LParen {
        i += 1;
        loop {
            match tok(i) {
                Token::Word(_)
                | Token::Number(..)
                | Token::SingleQuotedString(_)
                | Token::Comma => i += 1,
                Token::RParen => {
                    i += 1;
                    break;
                }
                _ => return true,
            }
        }
    }
    let next = tok(i);
    !(is_string(next)
        || matches!(next, Token::Number(..) | Token::LBracket)
        || matches!(next, Token::Word(w) if matches!(w.keyword, Keyword::ARRAY | Keyword::ZEROFILL | Keyword::TRUE | Keyword::FALSE | Keyword::NULL)))
}

/// Reads with `f`; where `f` fails, gives the position back so that sqlparser's own path
/// reads the prefix (and reports the error, exactly as without the fast path).
fn attempt(
    parser: &mut Parser,
    f: impl FnMut(&mut Parser) -> Result<Expr, ParserError>,
) -> Option<Result<Expr, ParserError>> {
    match parser.maybe_parse(f) {
        Ok(Some(e)) => Some(Ok(e)),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    }
}

/// Keywords that sqlparser's prefix parsing treats specially: every keyword named in
/// sqlparser 0.64's `parse_data_type_helper` (a word that may start a typed literal such as
/// `date '2024-01-01'`), `parse_expr_prefix_by_reserved_word` (`CASE`, `EXISTS`, `NOT`,
/// ...) and `geometric_type_kind`. Any other keyword starts an expression exactly as a
/// plain identifier does (proven for every keyword by `super::tests`).
fn special(kw: Keyword) -> bool {
    matches!(
        kw,
        Keyword::ANY
            | Keyword::APPROXIMATE
            | Keyword::ARRAY
            | Keyword::BIGDECIMAL
            | Keyword::BIGINT
            | Keyword::BIGNUMERIC
            | Keyword::BINARY
            | Keyword::BIT
            | Keyword::BLOB
            | Keyword::BOOL
            | Keyword::BOOLEAN
            | Keyword::BOX
            | Keyword::BYTEA
            | Keyword::BYTES
            | Keyword::CASE
            | Keyword::CAST
            | Keyword::CEIL
            | Keyword::CHAR
            | Keyword::CHARACTER
            | Keyword::CIRCLE
            | Keyword::CLOB
            | Keyword::CONVERT
            | Keyword::CURRENT_CATALOG
            | Keyword::CURRENT_DATE
            | Keyword::CURRENT_TIME
            | Keyword::CURRENT_TIMESTAMP
            | Keyword::CURRENT_USER
            | Keyword::DATE
            | Keyword::DATE32
            | Keyword::DATETIME
            | Keyword::DATETIME64
            | Keyword::DEC
            | Keyword::DECIMAL
            | Keyword::DOUBLE
            | Keyword::ENUM
            | Keyword::ENUM16
            | Keyword::ENUM8
            | Keyword::EXISTS
            | Keyword::EXTRACT
            | Keyword::FALSE
            | Keyword::FIXEDSTRING
            | Keyword::FLOAT
            | Keyword::FLOAT32
            | Keyword::FLOAT4
            | Keyword::FLOAT64
            | Keyword::FLOAT8
            | Keyword::FLOOR
            | Keyword::HUGEINT
            | Keyword::INT
            | Keyword::INT128
            | Keyword::INT16
            | Keyword::INT2
            | Keyword::INT256
            | Keyword::INT32
            | Keyword::INT4
            | Keyword::INT64
            | Keyword::INT8
            | Keyword::INTEGER
            | Keyword::INTERVAL
            | Keyword::JSON
            | Keyword::JSONB
            | Keyword::LAMBDA
            | Keyword::LARGE
            | Keyword::LINE
            | Keyword::LOCALTIME
            | Keyword::LOCALTIMESTAMP
            | Keyword::LONG
            | Keyword::LONGBLOB
            | Keyword::LONGTEXT
            | Keyword::LOWCARDINALITY
            | Keyword::LSEG
            | Keyword::MAP
            | Keyword::MATCH
            | Keyword::MEDIUMBLOB
            | Keyword::MEDIUMINT
            | Keyword::MEDIUMTEXT
            | Keyword::NESTED
            | Keyword::NOT
            | Keyword::NULL
            | Keyword::NULLABLE
            | Keyword::NUMERIC
            | Keyword::NVARCHAR
            | Keyword::OBJECT
            | Keyword::OVERLAY
            | Keyword::PATH
            | Keyword::PERCENTILE_DISC
            | Keyword::POINT
            | Keyword::POLYGON
            | Keyword::POSITION
            | Keyword::PRECISION
            | Keyword::PRIOR
            | Keyword::REAL
            | Keyword::REGCLASS
            | Keyword::SAFE_CAST
            | Keyword::SELECT
            | Keyword::SESSION_USER
            | Keyword::SET
            | Keyword::SIGNED
            | Keyword::SMALLINT
            | Keyword::STRING
            | Keyword::STRUCT
            | Keyword::SUBSTR
            | Keyword::SUBSTRING
            | Keyword::TABLE
            | Keyword::TEXT
            | Keyword::TIME
            | Keyword::TIMESTAMP
            | Keyword::TIMESTAMPTZ
            | Keyword::TIMESTAMP_NTZ
            | Keyword::TIMETZ
            | Keyword::TINYBLOB
            | Keyword::TINYINT
            | Keyword::TINYTEXT
            | Keyword::TRIGGER
            | Keyword::TRIM
            | Keyword::TRUE
            | Keyword::TRY_CAST
            | Keyword::TRY_CONVERT
            | Keyword::TSQUERY
            | Keyword::TSVECTOR
            | Keyword::TUPLE
            | Keyword::TYPE
            | Keyword::UBIGINT
            | Keyword::UHUGEINT
            | Keyword::UINT128
            | Keyword::UINT16
            | Keyword::UINT256
            | Keyword::UINT32
            | Keyword::UINT64
            | Keyword::UINT8
            | Keyword::UNION
            | Keyword::UNSIGNED
            | Keyword::USER
            | Keyword::USMALLINT
            | Keyword::UTINYINT
            | Keyword::UUID
            | Keyword::VARBINARY
            | Keyword::VARBIT
            | Keyword::VARCHAR
            | Keyword::VARYING
            | Keyword::WITH
            | Keyword::WITHOUT
            | Keyword::ZEROFILL
            | Keyword::ZONE
    )
}

/// A failure of the fast path (never shown: sqlparser's own path reads the text then).
fn not_plain() -> ParserError {
    ParserError::ParserError(String::new())
}

/// A call of `name` whose arguments are plain expressions (`f()`, `f(a, b + 1)`), as
/// sqlparser's `parse_function` reads it, or a failure (and sqlparser reads the call): the
/// argument list may start with `DISTINCT`, `ALL`, `ABSENT ON NULL`, `NULL ON NULL` or
/// `RETURNING`, an argument may be a wildcard, named (`=>`, `:=`, `:`) or aliased (`AS`),
/// clauses may follow the arguments (`ORDER BY`, `LIMIT`, ...) and the call (`WITHIN
/// GROUP`, `FILTER`, `RESPECT`/`IGNORE NULLS`, `OVER`), and `xmlparse` has its own
/// grammar; all of those take sqlparser's path. `name` is taken only when the call is
/// read.
fn call(p: &mut Parser, name: &mut Option<ObjectName>) -> Result<Expr, ParserError> {
    let Some(n) = name else {
        return Err(not_plain());
    };
    if let [ObjectNamePart::Identifier(id)] = n.0.as_slice() {
        if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("xmlparse") {
            return Err(not_plain());
        }
    }
    p.expect_token(&Token::LParen)?;
    let mut args = Vec::new();
    if !p.consume_token(&Token::RParen) {
        let special_start = match &p.peek_token_ref().token {
            Token::Word(w) => match w.keyword {
                Keyword::DISTINCT | Keyword::ALL | Keyword::ABSENT | Keyword::RETURNING => true,
                Keyword::NULL => matches!(&p.peek_nth_token_ref(1).token,
                    Token::Word(w) if w.keyword == Keyword::ON),
                _ => false,
            },
            _ => false,
        };
        if special_start {
            return Err(not_plain());
        }
        loop {
            let e = p.parse_wildcard_expr()?;
            if matches!(e, Expr::Wildcard(_) | Expr::QualifiedWildcard(..)) {
                return Err(not_plain());
            }
            args.push(FunctionArg::Unnamed(FunctionArgExpr::Expr(e)));
            match p.peek_token_ref().token {
                Token::Comma => p.advance_token(),
                Token::RParen => {
                    p.advance_token();
                    break;
                }
                _ => return Err(not_plain()),
            }
        }
    }
    if matches!(&p.peek_token_ref().token, Token::Word(w) if matches!(w.keyword,
        Keyword::WITHIN | Keyword::FILTER | Keyword::RESPECT | Keyword::IGNORE | Keyword::OVER))
    {
        return Err(not_plain());
    }
    let Some(name) = name.take() else {
        return Err(not_plain());
    };
    Ok(Expr::Function(Function {
        name,
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args,
            clauses: vec![],
        }),
        null_treatment: None,
        filter: None,
        over: None,
        within_group: vec![],
    }))
}

impl PgDialect {
    /// A word that sqlparser reads as an identifier or a function call.
    fn plain_word(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        let next = &parser.peek_nth_token_ref(1).token;
        if *next == Token::LParen {
            if !no_typed_literal(parser) {
                return None;
            }
            let t = parser.peek_token_ref();
            let Token::Word(w) = &t.token else {
                return None;
            };
            let mut name = Some(ObjectName::from(vec![w.to_ident(t.span)]));
            parser.advance_token();
            return match attempt(parser, |p| call(p, &mut name)) {
                Some(r) => Some(r),
                None => Some(parser.parse_function(name.take().expect("not taken on failure"))),
            };
        }
        if !no_typed_literal(parser) {
            return None;
        }
        let t = parser.peek_token_ref();
        let Token::Word(w) = &t.token else {
            return None;
        };
        let ident = w.to_ident(t.span);
        parser.advance_token();
        Some(Ok(Expr::Identifier(ident)))
    }
}

impl Dialect for PgDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<PostgreSqlDialect>()
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        if self.plain {
            return None;
        }
        match &parser.peek_token_ref().token {
            Token::Word(w) if !special(w.keyword) => self.plain_word(parser),
            Token::Word(w) => match w.keyword {
                Keyword::TRUE | Keyword::FALSE | Keyword::NULL if no_typed_literal(parser) => {
                    Some(parser.parse_value().map(Expr::Value))
                }
                Keyword::CURRENT_USER
                | Keyword::SESSION_USER
                | Keyword::USER
                | Keyword::CURRENT_CATALOG
                    if no_typed_literal(parser) =>
                {
                    let t = parser.peek_token_ref();
                    let Token::Word(w) = &t.token else {
                        return None;
                    };
                    let name = ObjectName::from(vec![w.to_ident(t.span)]);
                    parser.advance_token();
                    Some(Ok(Expr::Function(Function {
                        name,
                        uses_odbc_syntax: false,
                        parameters: FunctionArguments::None,
                        args: FunctionArguments::None,
                        null_treatment: None,
                        filter: None,
                        over: None,
                        within_group: vec![],
                    })))
                }
                Keyword::NOT if no_typed_literal(parser) => attempt(parser, |p| {
                    p.advance_token();
                    p.parse_not()
                }),
                Keyword::EXISTS if no_typed_literal(parser) => attempt(parser, |p| {
                    p.advance_token();
                    p.parse_exists_expr(false)
                }),
                _ => None,
            },
            Token::LParen => attempt(parser, |p| {
                p.advance_token();
                let sub_query = matches!(&p.peek_token_ref().token,
                    Token::Word(w) if matches!(w.keyword, Keyword::SELECT | Keyword::WITH));
                let e = if sub_query {
                    Expr::Subquery(p.parse_query()?)
                } else {
                    let mut exprs = p.parse_comma_separated(Parser::parse_expr)?;
                    if exprs.len() == 1 {
                        Expr::Nested(Box::new(exprs.remove(0)))
                    } else {
                        Expr::Tuple(exprs)
                    }
                };
                p.expect_token(&Token::RParen)?;
                Ok(e)
            }),
            Token::Minus | Token::Plus => attempt(parser, |p| {
                let prec = self.prec_value(Precedence::MulDivModOp);
                let op = if p.next_token().token == Token::Plus {
                    UnaryOperator::Plus
                } else {
                    UnaryOperator::Minus
                };
                Ok(Expr::UnaryOp {
                    op,
                    expr: Box::new(p.parse_subexpr(prec)?),
                })
            }),
            Token::Number(..) | Token::SingleQuotedString(_) => {
                Some(parser.parse_value().map(Expr::Value))
            }
            _ => None,
        }
    }

    fn supports_cte_materialization(&self) -> bool {
        PostgreSqlDialect {}.supports_cte_materialization()
    }
    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        PostgreSqlDialect {}.identifier_quote_style(identifier)
    }
    fn ordered_bind_placeholder_style(&self) -> Option<BindPlaceholderStyle> {
        PostgreSqlDialect {}.ordered_bind_placeholder_style()
    }
    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        PostgreSqlDialect {}.is_delimited_identifier_start(ch)
    }
    fn is_identifier_start(&self, ch: char) -> bool {
        PostgreSqlDialect {}.is_identifier_start(ch)
    }
    fn is_identifier_part(&self, ch: char) -> bool {
        PostgreSqlDialect {}.is_identifier_part(ch)
    }
    fn supports_unicode_string_literal(&self) -> bool {
        PostgreSqlDialect {}.supports_unicode_string_literal()
    }
    fn is_reserved_for_identifier(&self, kw: Keyword) -> bool {
        PostgreSqlDialect {}.is_reserved_for_identifier(kw)
    }
    fn is_table_alias(&self, kw: &Keyword, parser: &mut Parser) -> bool {
        PostgreSqlDialect {}.is_table_alias(kw, parser)
    }
    fn supports_string_literal_column_alias(&self, explicit: bool) -> bool {
        PostgreSqlDialect {}.supports_string_literal_column_alias(explicit)
    }
    fn supports_string_literal_table_alias(&self, explicit: bool) -> bool {
        PostgreSqlDialect {}.supports_string_literal_table_alias(explicit)
    }
    fn is_custom_operator_part(&self, ch: char) -> bool {
        PostgreSqlDialect {}.is_custom_operator_part(ch)
    }
    fn get_next_precedence(&self, parser: &Parser) -> Option<Result<u8, ParserError>> {
        PostgreSqlDialect {}.get_next_precedence(parser)
    }
    fn supports_filter_during_aggregation(&self) -> bool {
        PostgreSqlDialect {}.supports_filter_during_aggregation()
    }
    fn supports_group_by_expr(&self) -> bool {
        PostgreSqlDialect {}.supports_group_by_expr()
    }
    fn supports_drop_group(&self) -> bool {
        PostgreSqlDialect {}.supports_drop_group()
    }
    fn supports_alter_user_as_alter_role(&self) -> bool {
        PostgreSqlDialect {}.supports_alter_user_as_alter_role()
    }
    fn supports_create_group(&self) -> bool {
        PostgreSqlDialect {}.supports_create_group()
    }
    fn supports_create_role_if_not_exists(&self) -> bool {
        PostgreSqlDialect {}.supports_create_role_if_not_exists()
    }
    fn prec_value(&self, prec: Precedence) -> u8 {
        PostgreSqlDialect {}.prec_value(prec)
    }
    fn allow_extract_custom(&self) -> bool {
        PostgreSqlDialect {}.allow_extract_custom()
    }
    fn allow_extract_single_quotes(&self) -> bool {
        PostgreSqlDialect {}.allow_extract_single_quotes()
    }
    fn supports_create_index_with_clause(&self) -> bool {
        PostgreSqlDialect {}.supports_create_index_with_clause()
    }
    fn supports_sql_option_without_value(&self) -> bool {
        PostgreSqlDialect {}.supports_sql_option_without_value()
    }
    fn supports_explain_with_utility_options(&self) -> bool {
        PostgreSqlDialect {}.supports_explain_with_utility_options()
    }
    fn supports_listen_notify(&self) -> bool {
        PostgreSqlDialect {}.supports_listen_notify()
    }
    fn supports_exclude_constraint(&self) -> bool {
        PostgreSqlDialect {}.supports_exclude_constraint()
    }
    fn supports_factorial_operator(&self) -> bool {
        PostgreSqlDialect {}.supports_factorial_operator()
    }
    fn supports_bitwise_shift_operators(&self) -> bool {
        PostgreSqlDialect {}.supports_bitwise_shift_operators()
    }
    fn supports_tilde_like_match_operator(&self) -> bool {
        PostgreSqlDialect {}.supports_tilde_like_match_operator()
    }
    fn supports_comparison_in_between_low_bound(&self) -> bool {
        PostgreSqlDialect {}.supports_comparison_in_between_low_bound()
    }
    fn supports_comment_on(&self) -> bool {
        PostgreSqlDialect {}.supports_comment_on()
    }
    fn supports_load_extension(&self) -> bool {
        PostgreSqlDialect {}.supports_load_extension()
    }
    fn supports_named_fn_args_with_colon_operator(&self) -> bool {
        PostgreSqlDialect {}.supports_named_fn_args_with_colon_operator()
    }
    fn supports_named_fn_args_with_expr_name(&self) -> bool {
        PostgreSqlDialect {}.supports_named_fn_args_with_expr_name()
    }
    fn supports_named_fn_args_with_assignment_operator(&self) -> bool {
        PostgreSqlDialect {}.supports_named_fn_args_with_assignment_operator()
    }
    fn supports_empty_projections(&self) -> bool {
        PostgreSqlDialect {}.supports_empty_projections()
    }
    fn supports_nested_comments(&self) -> bool {
        PostgreSqlDialect {}.supports_nested_comments()
    }
    fn supports_copy_from_stdin_data(&self) -> bool {
        PostgreSqlDialect {}.supports_copy_from_stdin_data()
    }
    fn supports_string_escape_constant(&self) -> bool {
        PostgreSqlDialect {}.supports_string_escape_constant()
    }
    fn supports_numeric_literal_underscores(&self) -> bool {
        PostgreSqlDialect {}.supports_numeric_literal_underscores()
    }
    fn supports_non_decimal_integer_literals(&self) -> bool {
        PostgreSqlDialect {}.supports_non_decimal_integer_literals()
    }
    fn supports_array_typedef_with_brackets(&self) -> bool {
        PostgreSqlDialect {}.supports_array_typedef_with_brackets()
    }
    fn supports_geometric_types(&self) -> bool {
        PostgreSqlDialect {}.supports_geometric_types()
    }
    fn supports_order_by_using_operator(&self) -> bool {
        PostgreSqlDialect {}.supports_order_by_using_operator()
    }
    fn supports_set_names(&self) -> bool {
        PostgreSqlDialect {}.supports_set_names()
    }
    fn supports_alter_column_type_using(&self) -> bool {
        PostgreSqlDialect {}.supports_alter_column_type_using()
    }
    fn supports_left_associative_joins_without_parens(&self) -> bool {
        PostgreSqlDialect {}.supports_left_associative_joins_without_parens()
    }
    fn supports_notnull_operator(&self) -> bool {
        PostgreSqlDialect {}.supports_notnull_operator()
    }
    fn supports_interval_options(&self) -> bool {
        PostgreSqlDialect {}.supports_interval_options()
    }
    fn is_interval_qualifier(&self, kw: Keyword) -> bool {
        PostgreSqlDialect {}.is_interval_qualifier(kw)
    }
    fn supports_insert_table_alias(&self) -> bool {
        PostgreSqlDialect {}.supports_insert_table_alias()
    }
    fn supports_create_table_like_parenthesized(&self) -> bool {
        PostgreSqlDialect {}.supports_create_table_like_parenthesized()
    }
    fn supports_select_wildcard_with_alias(&self) -> bool {
        PostgreSqlDialect {}.supports_select_wildcard_with_alias()
    }
    fn supports_comma_separated_trim(&self) -> bool {
        PostgreSqlDialect {}.supports_comma_separated_trim()
    }
    fn supports_xml_expressions(&self) -> bool {
        PostgreSqlDialect {}.supports_xml_expressions()
    }
    fn is_custom_type_typed_string(&self, first_keyword: Keyword, qualified: bool) -> bool {
        PostgreSqlDialect {}.is_custom_type_typed_string(first_keyword, qualified)
    }
    fn supports_aliased_function_args(&self) -> bool {
        PostgreSqlDialect {}.supports_aliased_function_args()
    }
    fn supports_comment_optimizer_hint(&self) -> bool {
        PostgreSqlDialect {}.supports_comment_optimizer_hint()
    }
    fn supports_add_column_if_not_exists(&self) -> bool {
        PostgreSqlDialect {}.supports_add_column_if_not_exists()
    }
    fn supports_attach_partition_of(&self) -> bool {
        PostgreSqlDialect {}.supports_attach_partition_of()
    }
    fn supports_detach_partition_of(&self) -> bool {
        PostgreSqlDialect {}.supports_detach_partition_of()
    }
    fn supports_table_inheritance_markers(&self) -> bool {
        PostgreSqlDialect {}.supports_table_inheritance_markers()
    }
    fn supports_column_generic_options(&self) -> bool {
        PostgreSqlDialect {}.supports_column_generic_options()
    }
}
