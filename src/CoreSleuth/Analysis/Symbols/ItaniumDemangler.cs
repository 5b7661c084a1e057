namespace CoreSleuth.Analysis.Symbols;

/// <summary>
/// Demangles Itanium C++ ABI symbol names (the scheme used by GCC and Clang on ELF systems,
/// including FreeBSD) into the text GNU <c>c++filt</c> prints, e.g.
/// <c>_Z7my_openPKcim</c> → <c>my_open(char const*, int, unsigned long)</c>.
/// </summary>
/// <remarks>
/// Symbol names come from untrusted cores, so the work is bounded: names longer than
/// <see cref="MaxMangledLength"/> are refused (GNU refuses them too), recursion depth is
/// capped and checked against the remaining stack, the parse tree is capped at two nodes
/// per input character, and output is capped at <see cref="MaxDemangledLength"/>
/// characters. Invalid input yields null; nothing throws.
/// </remarks>
public static class ItaniumDemangler
{
    /// <summary>Longest mangled name accepted; GNU's demangler refuses longer names (its component budget).</summary>
    public const int MaxMangledLength = ItaniumParser.RecursionLimit / 2;

    /// <summary>
    /// Longest demangled text produced. Substitutions can expand a short name enormously
    /// (exponentially, for hostile input); the longest real name seen in ~400,000 C++ symbols
    /// of a Debian system demangles to about 24,000 characters.
    /// </summary>
    public const int MaxDemangledLength = 256 * 1024;

    /// <summary>Upper bound on printing steps, so names whose expansion prints nothing still finish quickly.</summary>
    private const int MaxPrintSteps = 1 << 20;

    /// <summary>Returns the demangled form of <paramref name="mangled"/>, or null when it is not a valid mangled name.</summary>
    public static string? Demangle(string mangled)
    {
        try
        {
            return DemangleCore(mangled);
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidOperationException
                                       or NullReferenceException or InsufficientExecutionStackException)
        {
            // Defence in depth for untrusted input: a defect in the parser must not take the
            // analysis down. The property tests call DemangleCore directly so defects still show.
            return null;
        }
    }

    /// <summary>
    /// Demangles <paramref name="mangled"/>. On failure returns false and sets
    /// <paramref name="demangled"/> to the input unchanged, which is what c++filt prints
    /// for a name it cannot demangle.
    /// </summary>
    public static bool TryDemangle(string mangled, out string demangled)
    {
        var result = Demangle(mangled);
        demangled = result ?? mangled ?? "";
        return result is not null;
    }

    internal static string? DemangleCore(string? mangled)
    {
        if (string.IsNullOrEmpty(mangled) || mangled.Length > MaxMangledLength || mangled.Contains('\0'))
            return null;

        bool mangledName = mangled.StartsWith("_Z", StringComparison.Ordinal);
        bool globalCtorDtor = !mangledName && mangled.Length > 10
            && mangled.StartsWith("_GLOBAL_", StringComparison.Ordinal)
            && mangled[8] is '.' or '_' or '$' && mangled[9] is 'D' or 'I' && mangled[10] == '_';
        if (!mangledName && !globalCtorDtor)
            return null; // c++filt does not demangle bare types by default

        var root = Parse(mangled, globalCtorDtor, oldUnresolvedNameGrammar: false, out bool sawUnresolvedName);
        if (root is null && sawUnresolvedName)
        {
            // Names mangled before the ABI fixed <unresolved-name> only parse with the old
            // grammar; GNU retries the whole name with it, and so do we.
            root = Parse(mangled, globalCtorDtor, oldUnresolvedNameGrammar: true, out _);
        }

        return root is null ? null : ItaniumPrinter.Print(root, MaxDemangledLength, MaxPrintSteps);
    }

    private static DemangleNode? Parse(string mangled, bool globalCtorDtor, bool oldUnresolvedNameGrammar, out bool sawUnresolvedName)
    {
        var parser = new ItaniumParser(mangled, oldUnresolvedNameGrammar);

        // _GLOBAL__I_<name>: global constructors (I) or destructors (D) keyed to a name.
        var root = globalCtorDtor ? parser.GlobalCtorDtor(mangled[9] == 'I') : parser.MangledName(true);
        sawUnresolvedName = parser.SawUnresolvedName;

        // The whole name must be consumed.
        return parser.AtEnd ? root : null;
    }
}
