//! The dialect the canonicalizer parses with: PostgreSQL's, with a fast path for the
//! commonest expression prefixes.
//!
//! sqlparser reads every expression prefix by first trying to parse a type name followed
//! by a string (`date '2024-01-01'`) and, when that fails, building an error message and
//! starting over. For a plain identifier (not a keyword) that is not followed by `[` or a
//! string (nor starts a qualified name that is), for a call of a function so named (but `f() 'x'`), and for a number or a
//! plain string, that attempt cannot succeed (the dialect has no lambda functions and no
//! `(+)` outer joins, the only other readings): the fast path
//! returns what sqlparser would return without it. Everything else (keywords, functions,
//! qualified names, typed literals) takes sqlparser's own path. The two are proven equal
//! on the corpus and the grammar cases (tests in `super::tests`).

use std::any::TypeId;

use sqlparser::ast::{Expr, ObjectName};
use sqlparser::dialect::{BindPlaceholderStyle, Dialect, PostgreSqlDialect, Precedence};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// [`PostgreSqlDialect`] in every respect (sqlparser's own checks for the PostgreSQL
/// dialect see it as one), with the fast path above.
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

/// Whether the qualified name at the parser's position (`a.b.c`) cannot start a typed
/// literal: it is not followed by a string, by `[`, or by a parenthesized list that is
/// followed by a string or `[` (a type name with modifiers). sqlparser then reads the
/// first part as an identifier and the rest as field access, as the fast path leaves it.
fn plain_qualified_name(parser: &Parser) -> bool {
    let tok = |i: usize| &parser.peek_nth_token_ref(i).token;
    let mut i = 1;
    while *tok(i) == Token::Period && matches!(tok(i + 1), Token::Word(_)) {
        i += 2;
    }
    if *tok(i) == Token::LParen {
        let mut depth = 0usize;
        loop {
            match tok(i) {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Token::EOF => return false,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    !(is_string(tok(i)) || *tok(i) == Token::LBracket)
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
            Token::Word(w) if w.keyword == Keyword::NoKeyword => {
                let next = &parser.peek_nth_token_ref(1).token;
                if *next == Token::LParen {
                    // a call: sqlparser reads `f() 'x'` as a typed string
                    if parser.peek_nth_token_ref(2).token == Token::RParen
                        && is_string(&parser.peek_nth_token_ref(3).token)
                    {
                        return None;
                    }
                    let t = parser.peek_token_ref();
                    let Token::Word(w) = &t.token else {
                        return None;
                    };
                    let name = ObjectName::from(vec![w.to_ident(t.span)]);
                    parser.advance_token();
                    return Some(parser.parse_function(name));
                }
                if *next == Token::LBracket || is_string(next) {
                    return None;
                }
                if *next == Token::Period && !plain_qualified_name(parser) {
                    return None;
                }
                let ident = {
                    let t = parser.peek_token_ref();
                    let Token::Word(w) = &t.token else {
                        return None;
                    };
                    w.to_ident(t.span)
                };
                parser.advance_token();
                Some(Ok(Expr::Identifier(ident)))
            }
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
