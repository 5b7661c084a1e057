using System.Text;

namespace CoreSleuth.Analysis.MySql;

/// <summary>
/// The tables a SQL statement names, found by reading its words, not by parsing it: enough to say
/// that two sessions likely touch the same table, never proof. Comments, string literals (a path in
/// quotes is no table) and user variables are skipped; any text is accepted and none throws.
/// </summary>
public static class StatementTables
{
    private enum Kind { Word, QuotedWord, Dot, Comma, Open, Close, Other }

    private readonly record struct Token(Kind Kind, string Text);

    /// <summary>Words that start or continue a clause, where a table name cannot stand unquoted.</summary>
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "ADD", "ALL", "ALTER", "AND", "AS", "ASC", "BETWEEN", "BY", "CALL", "CASE", "CHANGE", "CHARACTER", "CHECK", "COLUMN", "COLUMNS",
        "CONSTRAINT", "CREATE", "CROSS", "DEFAULT", "DELETE", "DESC", "DISTINCT", "DROP", "DUAL", "ELSE", "END", "ESCAPED", "EXCEPT",
        "EXISTS", "FIELDS", "FOR", "FORCE", "FOREIGN", "FROM", "FULL", "GROUP", "HAVING", "HIGH_PRIORITY", "IF", "IGNORE", "IN",
        "INDEX", "INNER", "INSERT", "INTERSECT", "INTO", "IS", "JOIN", "KEY", "LATERAL", "LEFT", "LIKE", "LIMIT", "LINES", "LOCAL",
        "LOCK", "LOW_PRIORITY", "MODIFY", "NATURAL", "NOT", "NOWAIT", "NULL", "OF", "OFFSET", "ON", "OR", "ORDER", "OUTER", "OUTFILE",
        "DUMPFILE", "PARTITION", "PRIMARY", "PROCEDURE", "QUICK", "READ", "REFERENCES", "RENAME", "REPLACE", "RETURNING", "RIGHT",
        "ROWS", "SELECT", "SET", "SHARE", "SKIP", "STRAIGHT_JOIN", "TABLE", "TABLES", "TERMINATED", "THEN", "TO", "UNION", "UNIQUE",
        "UNLOCK", "UPDATE", "USE", "USING", "VALUE", "VALUES", "WHEN", "WHERE", "WINDOW", "WITH", "WRITE", "DELAYED", "ENCLOSED",
        "OPTIONALLY", "STARTING", "TEMPORARY", "EXCLUSIVE", "SHARED", "ALGORITHM", "FIRST", "AFTER", "ENGINE", "COMMENT",
    };

    /// <summary>Words after which a list of tables follows.</summary>
    private static readonly HashSet<string> ListStarts = new(StringComparer.OrdinalIgnoreCase)
        { "FROM", "JOIN", "STRAIGHT_JOIN", "UPDATE", "TABLE", "TABLES", "INTO", "TRUNCATE", "INSERT", "REPLACE", "REFERENCES" };

    /// <summary>Functions whose arguments contain FROM.</summary>
    private static readonly HashSet<string> FromFunctions = new(StringComparer.OrdinalIgnoreCase)
        { "EXTRACT", "TRIM", "SUBSTRING", "SUBSTR", "POSITION", "OVERLAY" };

    /// <summary>The table names of <paramref name="statement"/> as written (<c>db.t</c> or <c>t</c>, without backquotes), each once, in order.</summary>
    public static IReadOnlyList<string> Of(string? statement)
    {
        if (string.IsNullOrEmpty(statement)) return [];
        var tokens = Tokens(statement);
        if (tokens.Count > 0 && tokens[0] is { Kind: Kind.Word } first && first.Text.Equals("SHOW", StringComparison.OrdinalIgnoreCase))
            return []; // SHOW TABLES FROM db names a schema, and SHOW names nothing it locks
        var names = new List<string>();
        var cteNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        // The word before each open parenthesis: FROM inside EXTRACT(… FROM …) or TRIM(… FROM …) names no table.
        var openedBy = new Stack<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Kind == Kind.Open) openedBy.Push(i > 0 && tokens[i - 1].Kind == Kind.Word ? tokens[i - 1].Text : "");
            else if (t.Kind == Kind.Close && openedBy.Count > 0) openedBy.Pop();
            // WITH cte AS ( … ): the name is the query's own, no table.
            if (IsWord(t) && Is(tokens, i + 1, "AS") && i + 2 < tokens.Count && tokens[i + 2].Kind == Kind.Open)
                cteNames.Add(t.Text);
            if (t.Kind != Kind.Word || !ListStarts.Contains(t.Text)) continue;
            string word = t.Text.ToUpperInvariant();
            string? before = i > 0 && tokens[i - 1].Kind == Kind.Word ? tokens[i - 1].Text.ToUpperInvariant() : null;
            // ON DUPLICATE KEY UPDATE, SELECT … FOR UPDATE, SHARE/UPDATE of lock clauses: no table follows.
            if (word == "UPDATE" && before is "KEY" or "FOR") continue;
            if (word == "FROM" && openedBy.TryPeek(out var function) && FromFunctions.Contains(function)) continue;
            // INTO OUTFILE names a file; INTO TABLE (LOAD DATA) leaves the list to TABLE, each token starting one list at most.
            if (word == "INTO" && (Is(tokens, i + 1, "OUTFILE") || Is(tokens, i + 1, "DUMPFILE") || Is(tokens, i + 1, "TABLE"))) continue;
            // INSERT/REPLACE/TRUNCATE without INTO/TABLE name the table at once; with it, that word reads the list.
            if (word is "INSERT" or "REPLACE" or "TRUNCATE" && (NextWordIs(tokens, i, "INTO") || NextWordIs(tokens, i, "TABLE"))) continue;
            if (word == "REPLACE" && i + 1 < tokens.Count && tokens[i + 1].Kind == Kind.Open) continue; // REPLACE(str, from, to)
            ReadList(tokens, i + 1, names);
        }
        return [.. names.Where(n => !cteNames.Contains(n)).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Whether two table names likely name the same table: <c>db.t</c>, <c>t</c>, InnoDB's
    /// <c>`db`.`t`</c> and the old <c>db/t</c> alike; an unqualified name is in
    /// <paramref name="defaultDb"/>, or, without one, matches that table in any schema. Case is
    /// ignored (lower_case_table_names varies between servers).
    /// </summary>
    public static bool SameTable(string? a, string? b, string? defaultDb)
    {
        var (dbA, tableA) = Split(a);
        var (dbB, tableB) = Split(b);
        if (tableA is null || tableB is null || !tableA.Equals(tableB, StringComparison.OrdinalIgnoreCase)) return false;
        dbA ??= NonEmpty(defaultDb);
        dbB ??= NonEmpty(defaultDb);
        return dbA is null || dbB is null || dbA.Equals(dbB, StringComparison.OrdinalIgnoreCase);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>Schema and table of a name in any of the forms SameTable accepts.</summary>
    private static (string? Db, string? Table) Split(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return (null, null);
        string text = name.Trim();
        int comment = text.IndexOf(" /*", StringComparison.Ordinal); // InnoDB: "`db`.`t` /* Partition `p0` */"
        if (comment > 0) text = text[..comment];
        var parts = new List<string>();
        var current = new StringBuilder();
        bool quoted = false, slashForm = !text.Contains('.') && !text.Contains('`');
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '`')
            {
                if (quoted && i + 1 < text.Length && text[i + 1] == '`') { current.Append('`'); i++; }
                else quoted = !quoted;
            }
            else if (!quoted && (c == '.' || (slashForm && c == '/'))) { parts.Add(current.ToString()); current.Clear(); }
            else current.Append(c);
        }
        parts.Add(current.ToString());
        string table = parts[^1].Trim();
        // A quoted name may hold any character: one that does not split into schema and table is a table name whole.
        if (table.Length == 0) return (null, text);
        return (parts.Count > 1 ? NonEmpty(parts[^2]) : null, table);
    }

    private static bool IsWord(Token t) => t.Kind is Kind.Word or Kind.QuotedWord;

    private static bool Is(List<Token> tokens, int i, string word) =>
        i < tokens.Count && tokens[i].Kind == Kind.Word && tokens[i].Text.Equals(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="word"/> follows token <paramref name="i"/>, past the modifiers INSERT and REPLACE allow.</summary>
    private static bool NextWordIs(List<Token> tokens, int i, string word)
    {
        int k = i + 1;
        while (Is(tokens, k, "LOW_PRIORITY") || Is(tokens, k, "DELAYED") || Is(tokens, k, "HIGH_PRIORITY") || Is(tokens, k, "IGNORE")) k++;
        return Is(tokens, k, word);
    }

    /// <summary>
    /// Reads <c>name [[AS] alias] [READ|WRITE…] [TO name], …</c> from token <paramref name="i"/>:
    /// the shape after FROM, JOIN, UPDATE, INTO, LOCK TABLES, RENAME TABLE, DROP TABLE.
    /// </summary>
    private static void ReadList(List<Token> tokens, int i, List<string> names)
    {
        while (i < tokens.Count)
        {
            while (Is(tokens, i, "IF") || Is(tokens, i, "NOT") || Is(tokens, i, "EXISTS") || Is(tokens, i, "LOW_PRIORITY")
                   || Is(tokens, i, "IGNORE") || Is(tokens, i, "QUICK") || Is(tokens, i, "DELAYED") || Is(tokens, i, "HIGH_PRIORITY")
                   || Is(tokens, i, "ONLY"))
                i++;
            if (ReadName(tokens, ref i) is not { } name) return; // a subquery, a keyword, the end
            names.Add(name);
            if (Is(tokens, i, "TO"))
            {
                i++;
                if (ReadName(tokens, ref i) is { } renamed) names.Add(renamed); // RENAME TABLE a TO b
            }
            if (Is(tokens, i, "AS")) i += 2;
            else if (i < tokens.Count && (tokens[i].Kind == Kind.QuotedWord || tokens[i].Kind == Kind.Word && !Keywords.Contains(tokens[i].Text)))
                i++; // the alias
            while (Is(tokens, i, "READ") || Is(tokens, i, "WRITE") || Is(tokens, i, "LOCAL") || Is(tokens, i, "LOW_PRIORITY")) i++;
            if (i >= tokens.Count || tokens[i].Kind != Kind.Comma) return;
            i++;
        }
    }

    /// <summary>A name of one to three parts (<c>t</c>, <c>db.t</c>), or null when token <paramref name="i"/> starts none.</summary>
    private static string? ReadName(List<Token> tokens, ref int i)
    {
        if (i >= tokens.Count || !IsPart(tokens[i])) return null;
        var name = new StringBuilder(tokens[i].Text);
        int k = i + 1;
        for (int parts = 1; parts < 3 && k + 1 < tokens.Count && tokens[k].Kind == Kind.Dot && IsPart(tokens[k + 1], afterDot: true); parts++, k += 2)
            name.Append('.').Append(tokens[k + 1].Text);
        i = k;
        return name.ToString();
    }

    private static bool IsPart(Token t, bool afterDot = false) =>
        t.Kind == Kind.QuotedWord && t.Text.Length > 0
        || t.Kind == Kind.Word && (afterDot || !Keywords.Contains(t.Text)) && t.Text[0] != '@';

    /// <summary>
    /// Words, quoted identifiers, and the punctuation that matters; comments, string literals and
    /// numbers' digits after a dot are dropped. <c>/*! … */</c> (versioned SQL of dumps) is read as SQL.
    /// </summary>
    private static List<Token> Tokens(string s)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '#' || (c == '-' && At(s, i + 1, '-') && (i + 2 == s.Length || char.IsWhiteSpace(s[i + 2]) || char.IsControl(s[i + 2]))))
            {
                while (i < s.Length && s[i] != '\n') i++;
                continue;
            }
            if (c == '/' && At(s, i + 1, '*'))
            {
                if (At(s, i + 2, '!'))
                {
                    i += 3;
                    while (i < s.Length && char.IsAsciiDigit(s[i])) i++; // the version: /*!50001 … */
                    continue;
                }
                int end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? s.Length : end + 2;
                continue;
            }
            if (c == '*' && At(s, i + 1, '/')) { i += 2; continue; } // the end of a /*! … */ read as SQL
            if (c is '\'' or '"')
            {
                i = AfterQuoted(s, i, c, null);
                tokens.Add(new Token(Kind.Other, ""));
                continue;
            }
            if (c == '`')
            {
                var text = new StringBuilder();
                i = AfterQuoted(s, i, '`', text);
                tokens.Add(new Token(Kind.QuotedWord, text.ToString()));
                continue;
            }
            if (IsWordChar(c) || c == '@')
            {
                int start = i++;
                while (i < s.Length && (IsWordChar(s[i]) || s[i] == '@')) i++;
                tokens.Add(new Token(Kind.Word, s[start..i]));
                continue;
            }
            tokens.Add(c switch
            {
                '.' => new Token(Kind.Dot, "."),
                ',' => new Token(Kind.Comma, ","),
                '(' => new Token(Kind.Open, "("),
                ')' => new Token(Kind.Close, ")"),
                _ => new Token(Kind.Other, c.ToString()),
            });
            i++;
        }
        return tokens;
    }

    private static bool At(string s, int i, char c) => i < s.Length && s[i] == c;

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' || c >= '\u0080';

    /// <summary>
    /// The index after a quoted run starting at <paramref name="open"/>: a doubled quote is one quote,
    /// and in strings a backslash escapes the next character. An unclosed run ends with the text.
    /// </summary>
    private static int AfterQuoted(string s, int open, char quote, StringBuilder? text)
    {
        int i = open + 1;
        while (i < s.Length)
        {
            char c = s[i];
            if (c == '\\' && quote != '`' && i + 1 < s.Length) { i += 2; continue; }
            if (c == quote)
            {
                if (At(s, i + 1, quote)) { text?.Append(quote); i += 2; continue; }
                return i + 1;
            }
            text?.Append(c);
            i++;
        }
        return s.Length;
    }
}
