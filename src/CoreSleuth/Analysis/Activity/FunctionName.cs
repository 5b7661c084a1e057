using System.Text;

namespace CoreSleuth.Analysis.Activity;

/// <summary>
/// Turns a function name as the symbolizer prints it into the catalogue key: the qualified
/// name without parameters, cv-qualifiers, template arguments, return type, clone suffixes
/// and <c>(anonymous namespace)</c> parts.
/// <c>my_open(char const*, int, unsigned long)</c> → <c>my_open</c>;
/// <c>PolicyMutex&lt;TTASEventMutex&lt;GenericPolicy&gt; &gt;::enter(unsigned int) const</c> → <c>PolicyMutex::enter</c>;
/// <c>void std::swap&lt;int&gt;(int&amp;, int&amp;)</c> → <c>std::swap</c>.
/// </summary>
/// <remarks>
/// Template arguments go because the catalogue names a function for every instantiation (the
/// mutex policies differ between builds). A name local to a function (a lambda) keys as the
/// enclosing function: the parameter list of the outer function ends the key.
/// </remarks>
public static class FunctionName
{
    /// <summary>Longer names are not MySQL function names; they are not keyed (no unbounded work on hostile input).</summary>
    public const int MaxLength = 4096;

    private const string AnonymousNamespace = "(anonymous namespace)";
    private static readonly string[] ThunkPrefixes = ["non-virtual thunk to ", "virtual thunk to ", "covariant return thunk to "];
    // GCC/LLVM clone suffixes on plain symbol names (foo.isra.0, foo.cold, foo.part.1, foo.llvm.123).
    private static readonly string[] CloneSuffixes = ["cold", "isra", "part", "constprop", "lto_priv", "llvm", "localalias"];

    /// <summary>The catalogue key of <paramref name="printed"/>, or null when it is empty, too long or keeps no name.</summary>
    public static string? Key(string? printed)
    {
        if (string.IsNullOrWhiteSpace(printed) || printed.Length > MaxLength) return null;
        if (Keys.TryGetValue(printed, out var known)) return known;
        var key = KeyOf(printed);
        if (Keys.Count < MaxKeys) Keys.TryAdd(printed, key);
        return key;
    }

    // Every thread's frames are keyed to describe it, and ten thousand threads name a few hundred
    // functions: each is keyed once (a key made per frame was a fifth of an analysis's strings).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> Keys = new(StringComparer.Ordinal);
    private const int MaxKeys = 1 << 16;

    private static string? KeyOf(string printed)
    {
        var s = printed.Trim();
        foreach (var prefix in ThunkPrefixes)
            if (s.StartsWith(prefix, StringComparison.Ordinal)) s = s[prefix.Length..];

        var name = TopLevelName(s);
        name = DropReturnType(name).Trim();
        name = DropCloneSuffix(name);
        return name.Length == 0 ? null : name;
    }

    /// <summary>The text before the parameter list, with template arguments and anonymous namespaces left out.</summary>
    private static string TopLevelName(string s)
    {
        var sb = new StringBuilder(s.Length);
        int angle = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (angle == 0 && EndsWithOperatorKeyword(sb))
            {
                // operator<, operator<<=, operator(), operator[] … are part of the name.
                int n = OperatorSymbolLength(s, i);
                if (n > 0) { sb.Append(s, i, n); i += n - 1; continue; }
            }
            if (c == '(')
            {
                if (angle == 0 && string.CompareOrdinal(s, i, AnonymousNamespace, 0, AnonymousNamespace.Length) == 0)
                {
                    i += AnonymousNamespace.Length - 1;
                    if (i + 2 < s.Length && s[i + 1] == ':' && s[i + 2] == ':') i += 2;
                    continue;
                }
                if (angle == 0) break; // the parameter list
                continue;
            }
            if (c == ' ' && angle == 0 && s.AsSpan(i).StartsWith(" [clone", StringComparison.Ordinal)) break;
            if (c == '<') { angle++; continue; }
            if (c == '>') { if (angle > 0) angle--; continue; }
            if (angle == 0) sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool EndsWithOperatorKeyword(StringBuilder sb)
    {
        const string op = "operator";
        if (sb.Length < op.Length) return false;
        for (int k = 0; k < op.Length; k++)
            if (sb[sb.Length - op.Length + k] != op[k]) return false;
        // "operator" must be a whole word (not "my_operator").
        int before = sb.Length - op.Length - 1;
        return before < 0 || sb[before] == ':' || sb[before] == ' ';
    }

    // Longest first, so that "operator<<=" is not read as "operator<" followed by template arguments.
    private static readonly string[] OperatorSymbols = ["()", "[]", "<<=", ">>=", "<=>", "<<", ">>", "<=", ">=", "<", ">", "->*", "->"];

    private static int OperatorSymbolLength(string s, int i)
    {
        foreach (var sym in OperatorSymbols)
            if (string.CompareOrdinal(s, i, sym, 0, sym.Length) == 0) return sym.Length;
        return 0;
    }

    /// <summary>Template functions print their return type first ("void std::swap"); the name is the last word, or "operator …".</summary>
    private static string DropReturnType(string name)
    {
        int op = name.IndexOf("operator", StringComparison.Ordinal);
        if (op >= 0)
        {
            // "bool Foo::operator new" → keep from the start of the word holding "operator".
            int start = name.LastIndexOf(' ', op == 0 ? 0 : op - 1);
            return op == 0 || start < 0 ? name : name[(start + 1)..];
        }
        int space = name.LastIndexOf(' ');
        return space < 0 ? name : name[(space + 1)..];
    }

    private static string DropCloneSuffix(string name)
    {
        int dot = name.IndexOf('.');
        if (dot <= 0) return name;
        var rest = name.AsSpan(dot + 1);
        foreach (var suffix in CloneSuffixes)
            if (rest.StartsWith(suffix, StringComparison.Ordinal)) return name[..dot];
        return name;
    }
}
