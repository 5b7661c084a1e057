using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace CoreSleuth.Analysis.MySql;

/// <summary>
/// A pattern for lines of InnoDB status text, matched with the non-backtracking engine (time linear in the line,
/// whatever a hostile or damaged line holds) and built only when a line holds <paramref name="literal"/>, a piece
/// of text every match contains. Building a non-backtracking regex costs milliseconds (eleven of them were a third
/// of an analysis of 500 threads, docs/performance.md), and most texts need few of them: a status without
/// semaphore waits never builds the semaphore patterns.
/// </summary>
/// <param name="anchoredWithoutAmbiguity">
/// The pattern is anchored at the line's start and no two of its repetitions can match the same
/// characters (each ends where a different character must follow), so the backtracking engine too
/// matches in time linear in the line: it is built with that engine, in microseconds. A lazy
/// wildcard or an unanchored pattern must leave this false.
/// </param>
internal sealed class StatusLinePattern(string literal, [StringSyntax(StringSyntaxAttribute.Regex)] string pattern, bool anchoredWithoutAmbiguity = false)
{
    private Regex? regex;

    /// <summary>The first match in <paramref name="line"/>; unsuccessful when the line lacks the literal.</summary>
    public Match Match(string line) => line.Contains(literal, StringComparison.Ordinal) ? Regex.Match(line) : System.Text.RegularExpressions.Match.Empty;

    public bool IsMatch(string line) => line.Contains(literal, StringComparison.Ordinal) && Regex.IsMatch(line);

    // Analyses run on one thread; two threads building it at once would only build it twice.
    private Regex Regex => regex ??= new Regex(pattern, (anchoredWithoutAmbiguity ? RegexOptions.None : RegexOptions.NonBacktracking) | RegexOptions.CultureInvariant);
}
