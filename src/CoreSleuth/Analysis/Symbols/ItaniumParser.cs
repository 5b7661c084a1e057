using System.Runtime.CompilerServices;

namespace CoreSleuth.Analysis.Symbols;

/// <summary>
/// Recursive-descent parser for the Itanium C++ ABI mangling grammar
/// (https://itanium-cxx-abi.github.io/cxx-abi/abi.html#mangling). It builds the same tree
/// shape as the GNU demangler in libiberty so that <see cref="ItaniumPrinter"/> can reproduce
/// GNU c++filt's text; where GNU deviates from the grammar (accepted extensions, substitution
/// candidates, failure cases) this parser deviates in the same way.
/// Every failure is a null return; nothing here throws on malformed input.
/// </summary>
internal sealed class ItaniumParser
{
    /// <summary>GNU refuses names whose component budget (2 per input char) exceeds this, i.e. names longer than 1024 chars.</summary>
    public const int RecursionLimit = 2048;

    private readonly string _s;
    private int _pos;
    private readonly List<DemangleNode> _subs = [];
    private readonly int _maxSubs;
    private readonly int _maxComps;
    private int _comps;
    private DemangleNode? _lastName;
    private bool _isExpression;
    private bool _isConversion;
    private int _recursionLevel;

    private readonly bool _oldUnresolvedNameGrammar;

    /// <param name="mangled">The whole mangled name.</param>
    /// <param name="oldUnresolvedNameGrammar">Parse <c>sr</c> unresolved names with the grammar of older ABI versions.</param>
    public ItaniumParser(string mangled, bool oldUnresolvedNameGrammar = false)
    {
        _oldUnresolvedNameGrammar = oldUnresolvedNameGrammar;
        _s = mangled;
        _maxComps = 2 * mangled.Length;
        _maxSubs = mangled.Length;
    }

    public bool AtEnd => _pos >= _s.Length;

    /// <summary>True once an unresolved name was read with the current grammar: a failed parse is then worth retrying with the old one.</summary>
    public bool SawUnresolvedName { get; private set; }

    // ---- character access (out-of-range reads yield '\0', like the C string terminator) ----

    private char Peek => _pos < _s.Length ? _s[_pos] : '\0';

    private char PeekNext => _pos + 1 < _s.Length ? _s[_pos + 1] : '\0';

    private char NextChar() => _pos < _s.Length ? _s[_pos++] : '\0';

    private void Advance(int n) => _pos = Math.Min(_pos + n, _s.Length);

    private bool CheckChar(char c)
    {
        if (Peek != c)
            return false;
        _pos++;
        return true;
    }

    private static bool IsDigit(char c) => c is >= '0' and <= '9';
    private static bool IsLower(char c) => c is >= 'a' and <= 'z';
    private static bool IsUpper(char c) => c is >= 'A' and <= 'Z';

    /// <summary>Stops deep recursion before the CLR stack does; the caller sees an ordinary failure.</summary>
    private static bool StackOk() => RuntimeHelpers.TryEnsureSufficientExecutionStack();

    // ---- node construction (component budget as in GNU: 2 per input char) ----

    private DemangleNode? Empty(DemangleKind kind)
    {
        if (_comps >= _maxComps)
            return null;
        _comps++;
        return new DemangleNode(kind);
    }

    private DemangleNode? Comp(DemangleKind kind, DemangleNode? left, DemangleNode? right)
    {
        switch (kind)
        {
            case DemangleKind.QualName or DemangleKind.LocalName or DemangleKind.TypedName
                or DemangleKind.TaggedName or DemangleKind.Template or DemangleKind.ConstructionVTable
                or DemangleKind.VendorTypeQual or DemangleKind.PtrMemType or DemangleKind.Unary
                or DemangleKind.Binary or DemangleKind.BinaryArgs or DemangleKind.Trinary
                or DemangleKind.TrinaryArg1 or DemangleKind.Literal or DemangleKind.LiteralNeg
                or DemangleKind.VendorExpr or DemangleKind.VectorType or DemangleKind.Clone
                or DemangleKind.ModuleEntity or DemangleKind.CompoundName:
                if (left is null || right is null)
                    return null;
                break;
            case DemangleKind.VTable or DemangleKind.Vtt or DemangleKind.TypeInfo or DemangleKind.TypeInfoName
                or DemangleKind.TypeInfoFn or DemangleKind.Thunk or DemangleKind.VirtualThunk
                or DemangleKind.CovariantThunk or DemangleKind.JavaClass or DemangleKind.Guard
                or DemangleKind.TlsInit or DemangleKind.TlsWrapper or DemangleKind.RefTemp
                or DemangleKind.HiddenAlias or DemangleKind.TransactionClone
                or DemangleKind.NonTransactionClone or DemangleKind.Pointer or DemangleKind.Reference
                or DemangleKind.RvalueReference or DemangleKind.Complex or DemangleKind.Imaginary
                or DemangleKind.VendorType or DemangleKind.Cast or DemangleKind.Conversion
                or DemangleKind.Decltype or DemangleKind.PackExpansion
                or DemangleKind.GlobalConstructors or DemangleKind.GlobalDestructors
                or DemangleKind.Nullary or DemangleKind.TrinaryArg2 or DemangleKind.TemplateParamObject
                or DemangleKind.StructuredBinding or DemangleKind.ModuleInit or DemangleKind.TemplateHead
                or DemangleKind.TemplateNonTypeParm or DemangleKind.TemplateTemplateParm
                or DemangleKind.TemplatePackParm or DemangleKind.JavaResource:
                if (left is null)
                    return null;
                break;
            case DemangleKind.ArrayType or DemangleKind.InitializerList or DemangleKind.ModuleName
                or DemangleKind.ModulePartition:
                if (right is null)
                    return null;
                break;
            case DemangleKind.FunctionType or DemangleKind.Restrict or DemangleKind.Volatile
                or DemangleKind.Const or DemangleKind.ArgList or DemangleKind.TemplateArgList
                or DemangleKind.TemplateTypeParm:
                break;
            default:
                if (IsFunctionQualifier(kind))
                    break;
                return null;
        }

        var p = Empty(kind);
        if (p is null)
            return null;
        p.Left = left;
        p.Right = right;
        return p;
    }

    internal static bool IsFunctionQualifier(DemangleKind kind) => kind is DemangleKind.RestrictThis
        or DemangleKind.VolatileThis or DemangleKind.ConstThis or DemangleKind.ReferenceThis
        or DemangleKind.RvalueReferenceThis or DemangleKind.TransactionSafe or DemangleKind.Noexcept
        or DemangleKind.ThrowSpec;

    private DemangleNode? MakeName(string text)
    {
        if (_comps >= _maxComps)
            return null;
        _comps++;
        return text.Length == 0 ? null : new DemangleNode(DemangleKind.Name) { Text = text };
    }

    private DemangleNode? MakeNameAt(int start, int length) =>
        length <= 0 ? MakeName("") : MakeName(_s.Substring(start, length));

    private DemangleNode? MakeNumbered(DemangleKind kind, int number)
    {
        if (_comps >= _maxComps)
            return null;
        _comps++;
        return new DemangleNode(kind) { Number = number };
    }

    private DemangleNode? MakeBuiltin(int index)
    {
        if (_comps >= _maxComps)
            return null;
        _comps++;
        return new DemangleNode(DemangleKind.BuiltinType) { Builtin = BuiltinTypes[index] };
    }

    private DemangleNode? MakeSub(string text)
    {
        if (_comps >= _maxComps)
            return null;
        _comps++;
        return new DemangleNode(DemangleKind.SubStd) { Text = text };
    }

    private DemangleNode? MakeOperator(OperatorInfo op)
    {
        if (_comps >= _maxComps)
            return null;
        _comps++;
        return new DemangleNode(DemangleKind.Operator) { Operator = op };
    }

    private bool AddSubstitution(DemangleNode? dc)
    {
        if (dc is null || _subs.Count >= _maxSubs)
            return false;
        _subs.Add(dc);
        return true;
    }

    // ---- tables ----

    internal static readonly BuiltinTypeInfo?[] BuiltinTypes =
    [
        new("signed char", BuiltinPrint.Default), // a
        new("bool", BuiltinPrint.Bool), // b
        new("char", BuiltinPrint.Default), // c
        new("double", BuiltinPrint.Float), // d
        new("long double", BuiltinPrint.Float), // e
        new("float", BuiltinPrint.Float), // f
        new("__float128", BuiltinPrint.Float), // g
        new("unsigned char", BuiltinPrint.Default), // h
        new("int", BuiltinPrint.Int), // i
        new("unsigned int", BuiltinPrint.Unsigned), // j
        null, // k
        new("long", BuiltinPrint.Long), // l
        new("unsigned long", BuiltinPrint.UnsignedLong), // m
        new("__int128", BuiltinPrint.Default), // n
        new("unsigned __int128", BuiltinPrint.Default), // o
        null, null, null, // p q r
        new("short", BuiltinPrint.Default), // s
        new("unsigned short", BuiltinPrint.Default), // t
        null, // u
        new("void", BuiltinPrint.Void), // v
        new("wchar_t", BuiltinPrint.Default), // w
        new("long long", BuiltinPrint.LongLong), // x
        new("unsigned long long", BuiltinPrint.UnsignedLongLong), // y
        new("...", BuiltinPrint.Default), // z
        new("decimal32", BuiltinPrint.Default), // 26: Df
        new("decimal64", BuiltinPrint.Default), // 27: Dd
        new("decimal128", BuiltinPrint.Default), // 28: De
        new("half", BuiltinPrint.Float), // 29: Dh
        new("char8_t", BuiltinPrint.Default), // 30: Du
        new("char16_t", BuiltinPrint.Default), // 31: Ds
        new("char32_t", BuiltinPrint.Default), // 32: Di
        new("decltype(nullptr)", BuiltinPrint.Default), // 33: Dn
        new("_Float", BuiltinPrint.Float), // 34: DF<N>_ / DF<N>x
        new("std::bfloat16_t", BuiltinPrint.Float), // 35: DF16b
    ];

    private const int NullptrBuiltin = 33;

    private static readonly Dictionary<string, OperatorInfo> Operators = new OperatorInfo[]
    {
        new("aN", "&=", 2), new("aS", "=", 2), new("aa", "&&", 2), new("ad", "&", 1),
        new("an", "&", 2), new("at", "alignof ", 1), new("aw", "co_await ", 1), new("az", "alignof ", 1),
        new("cc", "const_cast", 2), new("cl", "()", 2), new("cm", ",", 2), new("co", "~", 1),
        new("dV", "/=", 2), new("dX", "[...]=", 3), new("da", "delete[] ", 1), new("dc", "dynamic_cast", 2),
        new("de", "*", 1), new("di", "=", 2), new("dl", "delete ", 1), new("ds", ".*", 2),
        new("dt", ".", 2), new("dv", "/", 2), new("dx", "]=", 2), new("eO", "^=", 2),
        new("eo", "^", 2), new("eq", "==", 2), new("fL", "...", 3), new("fR", "...", 3),
        new("fl", "...", 2), new("fr", "...", 2), new("ge", ">=", 2), new("gs", "::", 1),
        new("gt", ">", 2), new("ix", "[]", 2), new("lS", "<<=", 2), new("le", "<=", 2),
        new("li", "operator\"\" ", 1), new("ls", "<<", 2), new("lt", "<", 2), new("mI", "-=", 2),
        new("mL", "*=", 2), new("mi", "-", 2), new("ml", "*", 2), new("mm", "--", 1),
        new("na", "new[]", 3), new("ne", "!=", 2), new("ng", "-", 1), new("nt", "!", 1),
        new("nw", "new", 3), new("oR", "|=", 2), new("oo", "||", 2),
        new("or", "|", 2), new("pL", "+=", 2), new("pl", "+", 2), new("pm", "->*", 2),
        new("pp", "++", 1), new("ps", "+", 1), new("pt", "->", 2), new("qu", "?", 3),
        new("rM", "%=", 2), new("rS", ">>=", 2), new("rc", "reinterpret_cast", 2), new("rm", "%", 2),
        new("rs", ">>", 2), new("sP", "sizeof...", 1), new("sZ", "sizeof...", 1), new("sc", "static_cast", 2),
        new("ss", "<=>", 2), new("st", "sizeof ", 1), new("sz", "sizeof ", 1),
        new("tr", "throw", 0), new("tw", "throw ", 1),
    }.ToDictionary(o => o.Code, StringComparer.Ordinal);

    private sealed record StandardSub(char Code, string FullExpansion, string? LastName);

    // c++filt runs with DMGL_VERBOSE, so the abbreviations print in full.
    private static readonly StandardSub[] StandardSubs =
    [
        new('t', "std", null),
        new('a', "std::allocator", "allocator"),
        new('b', "std::basic_string", "basic_string"),
        new('s', "std::basic_string<char, std::char_traits<char>, std::allocator<char> >", "basic_string"),
        new('i', "std::basic_istream<char, std::char_traits<char> >", "basic_istream"),
        new('o', "std::basic_ostream<char, std::char_traits<char> >", "basic_ostream"),
        new('d', "std::basic_iostream<char, std::char_traits<char> >", "basic_iostream"),
    ];

    // ---- <mangled-name> ::= _Z <encoding> [. <clone suffix>]* ----

    public DemangleNode? MangledName(bool topLevel)
    {
        // Inside a template argument GNU tolerates a missing '_' (an old g++ mangling bug).
        if (!CheckChar('_') && topLevel)
            return null;
        if (!CheckChar('Z'))
            return null;
        var p = Encoding(topLevel);

        if (topLevel)
        {
            while (Peek == '.' && (IsLower(PeekNext) || PeekNext == '_' || IsDigit(PeekNext)))
                p = CloneSuffix(p);
        }

        return p;
    }

    /// <summary>Parses <c>_GLOBAL__I_name</c> / <c>_GLOBAL__D_name</c> (constructors/destructors keyed to a name).</summary>
    public DemangleNode? GlobalCtorDtor(bool constructors)
    {
        Advance(11);
        DemangleNode? inner;
        if (Peek != '_' || PeekNext != 'Z')
        {
            inner = MakeNameAt(_pos, _s.Length - _pos);
        }
        else
        {
            Advance(2);
            inner = Encoding(false);
        }

        var dc = Comp(constructors ? DemangleKind.GlobalConstructors : DemangleKind.GlobalDestructors, inner, null);
        _pos = _s.Length;
        return dc;
    }

    private DemangleNode? CloneSuffix(DemangleNode? encoding)
    {
        int start = _pos;
        int end = start;
        if (end < _s.Length && _s[end] == '.' && end + 1 < _s.Length
            && (IsLower(_s[end + 1]) || IsDigit(_s[end + 1]) || _s[end + 1] == '_'))
        {
            end += 2;
            while (end < _s.Length && (IsLower(_s[end]) || IsDigit(_s[end]) || _s[end] == '_'))
                end++;
        }

        while (end + 1 < _s.Length && _s[end] == '.' && IsDigit(_s[end + 1]))
        {
            end += 2;
            while (end < _s.Length && IsDigit(_s[end]))
                end++;
        }

        _pos = end;
        var n = MakeNameAt(start, end - start);
        return Comp(DemangleKind.Clone, encoding, n);
    }

    // ---- <encoding> ::= <name> <bare-function-type> | <name> | <special-name> ----

    private DemangleNode? Encoding(bool topLevel)
    {
        if (!StackOk())
            return null;
        char peek = Peek;
        if (peek is 'G' or 'T')
            return SpecialName();

        var dc = Name(false);
        if (dc is null)
            return null;

        peek = Peek;
        if (peek != '\0' && peek != 'E')
        {
            var ftype = BareFunctionType(HasReturnType(dc));
            if (ftype is null)
                return null;

            // A function nested in a local name does not show its return type (it would
            // read as the return type of the enclosing entity).
            if (!topLevel && dc.Kind == DemangleKind.LocalName && ftype.Kind == DemangleKind.FunctionType)
                ftype.Left = null;

            dc = Comp(DemangleKind.TypedName, dc, ftype);
        }

        return dc;
    }

    private static bool HasReturnType(DemangleNode? dc)
    {
        for (int guard = 0; dc is not null && guard < 4096; guard++)
        {
            switch (dc.Kind)
            {
                case DemangleKind.LocalName:
                    dc = dc.Right;
                    continue;
                case DemangleKind.Template:
                    return !IsCtorDtorOrConversion(dc.Left);
                default:
                    if (IsFunctionQualifier(dc.Kind))
                    {
                        dc = dc.Left;
                        continue;
                    }

                    return false;
            }
        }

        return false;
    }

    private static bool IsCtorDtorOrConversion(DemangleNode? dc)
    {
        for (int guard = 0; dc is not null && guard < 4096; guard++)
        {
            switch (dc.Kind)
            {
                case DemangleKind.QualName or DemangleKind.LocalName:
                    dc = dc.Right;
                    continue;
                case DemangleKind.Ctor or DemangleKind.Dtor or DemangleKind.Conversion:
                    return true;
                default:
                    return false;
            }
        }

        return false;
    }

    // ---- <name> ----

    private DemangleNode? Name(bool substable)
    {
        if (!StackOk())
            return null;
        char peek = Peek;
        DemangleNode? dc = null;
        DemangleNode? module = null;
        bool subst = false;

        switch (peek)
        {
            case 'N':
                dc = NestedName();
                break;
            case 'Z':
                dc = LocalName();
                break;
            case 'U':
                dc = UnqualifiedName(null, null);
                break;
            default:
                if (peek == 'S')
                {
                    if (PeekNext == 't')
                    {
                        Advance(2);
                        dc = MakeName("std");
                    }

                    if (Peek == 'S')
                    {
                        module = Substitution();
                        if (module is null)
                            return null;
                        if (module.Kind is not (DemangleKind.ModuleName or DemangleKind.ModulePartition))
                        {
                            if (dc is not null)
                                return null;
                            subst = true;
                            dc = module;
                            module = null;
                        }
                    }
                }

                if (!subst)
                    dc = UnqualifiedName(dc, module);
                if (Peek == 'I')
                {
                    // <unscoped-template-name> <template-args>: the template name is a candidate.
                    if (!subst && !AddSubstitution(dc))
                        return null;
                    dc = Comp(DemangleKind.Template, dc, TemplateArgs());
                    subst = false;
                }

                break;
        }

        if (substable && !subst && !AddSubstitution(dc))
            return null;
        return dc;
    }

    private DemangleNode? NestedName()
    {
        if (!CheckChar('N'))
            return null;

        if (!CvQualifiers(true, out var top, out var slot))
            return null;

        // The ref-qualifier comes before the prefix; attach it once the name is known.
        var rqual = RefQualifier(null);

        var prefix = Prefix(true);
        if (prefix is null)
            return null;
        DemangleNode ret;
        if (slot is null)
        {
            ret = prefix;
        }
        else
        {
            slot.Left = prefix;
            ret = top!;
        }

        if (rqual is not null)
        {
            rqual.Left = ret;
            ret = rqual;
        }

        if (!CheckChar('E'))
            return null;
        return ret;
    }

    private DemangleNode? Prefix(bool substable)
    {
        DemangleNode? ret = null;
        for (int guard = 0; ; guard++)
        {
            if (guard > _s.Length + 1 || !StackOk())
                return null;
            char peek = Peek;

            if (peek == 'D' && (PeekNext == 'T' || PeekNext == 't'))
            {
                // decltype as a prefix
                if (ret is not null)
                    return null;
                ret = Type();
            }
            else if (peek == 'I')
            {
                if (ret is null)
                    return null;
                var args = TemplateArgs();
                if (args is null)
                    return null;
                ret = Comp(DemangleKind.Template, ret, args);
            }
            else if (peek == 'T')
            {
                if (ret is not null)
                    return null;
                ret = TemplateParam();
            }
            else if (peek == 'M')
            {
                // Initializer scope of a lambda; the member name was already a candidate.
                Advance(1);
                continue;
            }
            else
            {
                DemangleNode? module = null;
                if (peek == 'S')
                {
                    module = Substitution();
                    if (module is null)
                        return null;
                    if (module.Kind is not (DemangleKind.ModuleName or DemangleKind.ModulePartition))
                    {
                        if (ret is not null)
                            return null;
                        ret = module;
                        continue;
                    }
                }

                ret = UnqualifiedName(ret, module);
            }

            if (ret is null)
                break;
            if (Peek == 'E')
                break;
            if (substable && !AddSubstitution(ret))
                return null;
        }

        return ret;
    }

    private bool MaybeModuleName(ref DemangleNode? name)
    {
        while (Peek == 'W')
        {
            Advance(1);
            var kind = DemangleKind.ModuleName;
            if (Peek == 'P')
            {
                kind = DemangleKind.ModulePartition;
                Advance(1);
            }

            name = Comp(kind, name, SourceName());
            if (name is null)
                return false;
            if (!AddSubstitution(name))
                return false;
        }

        return true;
    }

    private DemangleNode? UnqualifiedName(DemangleNode? scope, DemangleNode? module)
    {
        if (!MaybeModuleName(ref module))
            return null;

        DemangleNode? ret;
        char peek = Peek;
        if (IsDigit(peek))
        {
            ret = SourceName();
        }
        else if (IsLower(peek))
        {
            bool wasExpr = _isExpression;
            if (peek == 'o' && PeekNext == 'n')
            {
                Advance(2);
                // 'on' introduces an operator name; treat 'cv' as a conversion operator.
                _isExpression = false;
            }

            ret = OperatorName();
            _isExpression = wasExpr;
            if (ret is not null && ret.Kind == DemangleKind.Operator && ret.Operator!.Code == "li")
                ret = Comp(DemangleKind.Unary, ret, SourceName());
        }
        else if (peek == 'D' && PeekNext == 'C')
        {
            // structured binding: DC <source-name>+ E
            Advance(2);
            DemangleNode? prev = null;
            ret = null;
            do
            {
                var next = Comp(DemangleKind.TemplateArgList, SourceName(), null);
                if (next is null || next.Left is null)
                {
                    prev = null;
                    break;
                }

                if (prev is not null)
                    prev.Right = next;
                else
                    ret = next;
                prev = next;
            }
            while (Peek != 'E' && Peek != '\0');

            if (prev is not null && CheckChar('E'))
                ret = Comp(DemangleKind.StructuredBinding, ret, null);
            else
                ret = null;
        }
        else if (peek is 'C' or 'D')
        {
            ret = CtorDtorName();
        }
        else if (peek == 'L')
        {
            Advance(1);
            ret = SourceName();
            if (ret is null)
                return null;
            if (!Discriminator())
                return null;
        }
        else if (peek == 'U')
        {
            ret = PeekNext switch
            {
                'l' => Lambda(),
                't' => UnnamedType(),
                _ => null,
            };
            if (ret is null)
                return null;
        }
        else
        {
            return null;
        }

        if (module is not null)
            ret = Comp(DemangleKind.ModuleEntity, ret, module);
        if (Peek == 'B')
            ret = AbiTags(ret);
        if (scope is not null)
            ret = Comp(DemangleKind.QualName, scope, ret);
        return ret;
    }

    private DemangleNode? SourceName()
    {
        int len = Number();
        if (len <= 0)
            return null;
        var ret = Identifier(len);
        _lastName = ret;
        return ret;
    }

    /// <summary>&lt;number&gt; ::= [n] &lt;decimal&gt;; -1 on int overflow, as in GNU.</summary>
    private int Number()
    {
        bool negative = false;
        char peek = Peek;
        if (peek == 'n')
        {
            negative = true;
            Advance(1);
            peek = Peek;
        }

        int ret = 0;
        while (true)
        {
            if (!IsDigit(peek))
                return negative ? -ret : ret;
            if (ret > (int.MaxValue - (peek - '0')) / 10)
                return -1;
            ret = ret * 10 + (peek - '0');
            Advance(1);
            peek = Peek;
        }
    }

    private DemangleNode? NumberComponent()
    {
        if (_comps >= _maxComps)
            return null;
        _comps++;
        return new DemangleNode(DemangleKind.Number) { Number = Number() };
    }

    private const string AnonymousNamespacePrefix = "_GLOBAL_";

    private DemangleNode? Identifier(int len)
    {
        int start = _pos;
        if (_s.Length - start < len)
            return null;
        Advance(len);

        // g++ names an anonymous namespace _GLOBAL__N_<something>; print it the friendly way.
        if (len >= AnonymousNamespacePrefix.Length + 2
            && string.CompareOrdinal(_s, start, AnonymousNamespacePrefix, 0, AnonymousNamespacePrefix.Length) == 0)
        {
            char c = _s[start + AnonymousNamespacePrefix.Length];
            if (c is '.' or '_' or '$' && _s[start + AnonymousNamespacePrefix.Length + 1] == 'N')
                return MakeName("(anonymous namespace)");
        }

        return MakeNameAt(start, len);
    }

    private DemangleNode? OperatorName()
    {
        char c1 = NextChar();
        char c2 = NextChar();
        if (c1 == 'v' && IsDigit(c2))
        {
            var name = SourceName();
            if (name is null || _comps >= _maxComps)
                return null;
            _comps++;
            return new DemangleNode(DemangleKind.ExtendedOperator) { Number = c2 - '0', Left = name };
        }

        if (c1 == 'c' && c2 == 'v')
        {
            bool wasConversion = _isConversion;
            _isConversion = !_isExpression;
            var type = Type();
            var res = Comp(_isConversion ? DemangleKind.Conversion : DemangleKind.Cast, type, null);
            _isConversion = wasConversion;
            return res;
        }

        if (c1 == '\0' || c2 == '\0')
            return null;
        return Operators.TryGetValue(new string([c1, c2]), out var op) ? MakeOperator(op) : null;
    }

    // ---- <special-name> ----

    private DemangleNode? SpecialName()
    {
        if (CheckChar('T'))
        {
            switch (NextChar())
            {
                case 'V':
                    return Comp(DemangleKind.VTable, Type(), null);
                case 'T':
                    return Comp(DemangleKind.Vtt, Type(), null);
                case 'I':
                    return Comp(DemangleKind.TypeInfo, Type(), null);
                case 'S':
                    return Comp(DemangleKind.TypeInfoName, Type(), null);
                case 'h':
                    if (!CallOffset('h'))
                        return null;
                    return Comp(DemangleKind.Thunk, Encoding(false), null);
                case 'v':
                    if (!CallOffset('v'))
                        return null;
                    return Comp(DemangleKind.VirtualThunk, Encoding(false), null);
                case 'c':
                    if (!CallOffset('\0'))
                        return null;
                    if (!CallOffset('\0'))
                        return null;
                    return Comp(DemangleKind.CovariantThunk, Encoding(false), null);
                case 'C':
                {
                    var derived = Type();
                    int offset = Number();
                    if (offset < 0)
                        return null;
                    if (!CheckChar('_'))
                        return null;
                    var baseType = Type();
                    return Comp(DemangleKind.ConstructionVTable, baseType, derived);
                }

                case 'F':
                    return Comp(DemangleKind.TypeInfoFn, Type(), null);
                case 'J':
                    return Comp(DemangleKind.JavaClass, Type(), null);
                case 'H':
                    return Comp(DemangleKind.TlsInit, Name(false), null);
                case 'W':
                    return Comp(DemangleKind.TlsWrapper, Name(false), null);
                case 'A':
                    return Comp(DemangleKind.TemplateParamObject, TemplateArg(), null);
                default:
                    return null;
            }
        }

        if (CheckChar('G'))
        {
            switch (NextChar())
            {
                case 'V':
                    return Comp(DemangleKind.Guard, Name(false), null);
                case 'R':
                {
                    var name = Name(false);
                    return Comp(DemangleKind.RefTemp, name, NumberComponent());
                }

                case 'A':
                    return Comp(DemangleKind.HiddenAlias, Encoding(false), null);
                case 'T':
                    return NextChar() == 'n'
                        ? Comp(DemangleKind.NonTransactionClone, Encoding(false), null)
                        : Comp(DemangleKind.TransactionClone, Encoding(false), null);
                case 'I':
                {
                    DemangleNode? module = null;
                    if (!MaybeModuleName(ref module) || module is null)
                        return null;
                    return Comp(DemangleKind.ModuleInit, module, null);
                }

                case 'r':
                    return JavaResource();

                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>
    /// <c>Gr &lt;length&gt; _ &lt;text&gt;</c>: a gcj resource name, where <c>$S</c>, <c>$_</c> and
    /// <c>$$</c> stand for '/', '.' and '$'.
    /// </summary>
    private DemangleNode? JavaResource()
    {
        int len = Number();
        if (len <= 1)
            return null;
        if (NextChar() != '_')
            return null;
        len--;

        DemangleNode? p = null;
        while (len > 0)
        {
            if (AtEnd)
                return null;
            DemangleNode? next;
            if (Peek == '$')
            {
                char escaped = PeekNext switch
                {
                    'S' => '/',
                    '_' => '.',
                    '$' => '$',
                    _ => '\0',
                };
                if (escaped == '\0')
                    return null;
                Advance(2);
                len -= 2;
                next = MakeName(escaped.ToString());
            }
            else
            {
                int start = _pos;
                while (_pos - start < len && !AtEnd && Peek != '$')
                    _pos++;
                len -= _pos - start;
                next = MakeNameAt(start, _pos - start);
            }

            if (next is null)
                return null;
            p = p is null ? next : Comp(DemangleKind.CompoundName, p, next);
            if (p is null)
                return null;
        }

        return Comp(DemangleKind.JavaResource, p, null);
    }

    private bool CallOffset(char c)
    {
        if (c == '\0')
            c = NextChar();
        if (c == 'h')
        {
            Number();
        }
        else if (c == 'v')
        {
            Number();
            if (!CheckChar('_'))
                return false;
            Number();
        }
        else
        {
            return false;
        }

        return CheckChar('_');
    }

    private DemangleNode? CtorDtorName()
    {
        switch (Peek)
        {
            case 'C':
            {
                bool inheriting = false;
                if (PeekNext == 'I')
                {
                    inheriting = true;
                    Advance(1);
                }

                if (PeekNext is not ('1' or '2' or '3' or '4' or '5'))
                    return null;
                Advance(2);
                if (inheriting)
                    Type();
                if (_lastName is null || _comps >= _maxComps)
                    return null;
                _comps++;
                return new DemangleNode(DemangleKind.Ctor) { Left = _lastName };
            }

            case 'D':
            {
                if (PeekNext is not ('0' or '1' or '2' or '4' or '5'))
                    return null;
                Advance(2);
                if (_lastName is null || _comps >= _maxComps)
                    return null;
                _comps++;
                return new DemangleNode(DemangleKind.Dtor) { Left = _lastName };
            }

            default:
                return null;
        }
    }

    private DemangleNode? AbiTags(DemangleNode? dc)
    {
        // The tag must not become the name a following constructor refers to.
        var holdLastName = _lastName;
        while (Peek == 'B')
        {
            Advance(1);
            var tag = SourceName();
            dc = Comp(DemangleKind.TaggedName, dc, tag);
        }

        _lastName = holdLastName;
        return dc;
    }

    // ---- types ----

    private static bool IsTypeQualifierAt(char peek, char next) =>
        peek is 'r' or 'V' or 'K' || (peek == 'D' && next is 'x' or 'o' or 'O' or 'w');

    /// <summary>
    /// Parses CV-qualifiers (and Dx/Do/DO/Dw function qualifiers) into a chain linked through
    /// <see cref="DemangleNode.Left"/>. <paramref name="top"/> is the outermost qualifier and
    /// <paramref name="slot"/> the innermost one, whose Left the caller fills; both null when
    /// there were none.
    /// </summary>
    private bool CvQualifiers(bool memberFn, out DemangleNode? top, out DemangleNode? slot)
    {
        top = null;
        slot = null;
        char peek = Peek;
        while (IsTypeQualifierAt(Peek, PeekNext))
        {
            DemangleKind t;
            DemangleNode? right = null;
            Advance(1);
            if (peek == 'r')
            {
                t = memberFn ? DemangleKind.RestrictThis : DemangleKind.Restrict;
            }
            else if (peek == 'V')
            {
                t = memberFn ? DemangleKind.VolatileThis : DemangleKind.Volatile;
            }
            else if (peek == 'K')
            {
                t = memberFn ? DemangleKind.ConstThis : DemangleKind.Const;
            }
            else
            {
                peek = NextChar();
                if (peek == 'x')
                {
                    t = DemangleKind.TransactionSafe;
                }
                else if (peek is 'o' or 'O')
                {
                    t = DemangleKind.Noexcept;
                    if (peek == 'O')
                    {
                        right = Expression();
                        if (right is null)
                            return false;
                        if (!CheckChar('E'))
                            return false;
                    }
                }
                else if (peek == 'w')
                {
                    t = DemangleKind.ThrowSpec;
                    right = ParmList();
                    if (right is null)
                        return false;
                    if (!CheckChar('E'))
                        return false;
                }
                else
                {
                    return false;
                }
            }

            var q = Comp(t, null, right);
            if (q is null)
                return false;
            if (slot is null)
                top = q;
            else
                slot.Left = q;
            slot = q;
            peek = Peek;
        }

        if (!memberFn && peek == 'F')
        {
            // Qualifiers directly before a function type qualify its implicit 'this'.
            for (var q = top; q is not null; q = q == slot ? null : q.Left)
            {
                q.Kind = q.Kind switch
                {
                    DemangleKind.Restrict => DemangleKind.RestrictThis,
                    DemangleKind.Volatile => DemangleKind.VolatileThis,
                    DemangleKind.Const => DemangleKind.ConstThis,
                    _ => q.Kind,
                };
            }
        }

        return true;
    }

    public DemangleNode? Type()
    {
        if (!StackOk())
            return null;

        // The base type and the fully qualified type are substitution candidates, but not a
        // partially qualified one, so all qualifiers are taken off at once.
        if (IsTypeQualifierAt(Peek, PeekNext))
        {
            if (!CvQualifiers(false, out var top, out var slot) || slot is null)
                return null;
            var inner = Peek == 'F' ? FunctionType() : Type();
            if (inner is null)
                return null;
            slot.Left = inner;
            var ret = top!;
            if (inner.Kind is DemangleKind.RvalueReferenceThis or DemangleKind.ReferenceThis)
            {
                // Move the ref-qualifier outside the cv-qualifiers so they print in order.
                var fn = inner.Left;
                inner.Left = ret;
                ret = inner;
                slot.Left = fn;
            }

            if (!AddSubstitution(ret))
                return null;
            return ret;
        }

        bool canSubst = true;
        DemangleNode? dc;
        char peek = Peek;
        switch (peek)
        {
            case >= 'a' and <= 'z' when BuiltinTypes[peek - 'a'] is not null:
                dc = MakeBuiltin(peek - 'a');
                canSubst = false;
                Advance(1);
                break;

            case 'u':
                Advance(1);
                dc = Comp(DemangleKind.VendorType, SourceName(), null);
                break;

            case 'F':
                dc = FunctionType();
                break;

            case 'A':
                dc = ArrayType();
                break;

            case 'M':
                dc = PointerToMemberType();
                break;

            case 'T':
                dc = TemplateParam();
                if (Peek == 'I')
                {
                    // <template-template-param> <template-args>. In a conversion operator's
                    // type the args may instead belong to the enclosing template prefix: only
                    // take them here if another <template-args> follows.
                    if (!_isConversion)
                    {
                        if (!AddSubstitution(dc))
                            return null;
                        dc = Comp(DemangleKind.Template, dc, TemplateArgs());
                    }
                    else
                    {
                        int savedPos = _pos;
                        int savedSubs = _subs.Count;
                        int savedComps = _comps;
                        var args = TemplateArgs();
                        if (Peek == 'I')
                        {
                            if (!AddSubstitution(dc))
                                return null;
                            dc = Comp(DemangleKind.Template, dc, args);
                        }
                        else
                        {
                            _pos = savedPos;
                            _subs.RemoveRange(savedSubs, _subs.Count - savedSubs);
                            _comps = savedComps;
                        }
                    }
                }

                break;

            case 'O':
                Advance(1);
                dc = Comp(DemangleKind.RvalueReference, Type(), null);
                break;
            case 'P':
                Advance(1);
                dc = Comp(DemangleKind.Pointer, Type(), null);
                break;
            case 'R':
                Advance(1);
                dc = Comp(DemangleKind.Reference, Type(), null);
                break;
            case 'C':
                Advance(1);
                dc = Comp(DemangleKind.Complex, Type(), null);
                break;
            case 'G':
                Advance(1);
                dc = Comp(DemangleKind.Imaginary, Type(), null);
                break;

            case 'U':
            {
                Advance(1);
                var qual = SourceName();
                if (Peek == 'I')
                    qual = Comp(DemangleKind.Template, qual, TemplateArgs());
                dc = Comp(DemangleKind.VendorTypeQual, Type(), qual);
                break;
            }

            case 'D':
                canSubst = false;
                Advance(1);
                peek = NextChar();
                switch (peek)
                {
                    case 'T' or 't':
                        dc = Comp(DemangleKind.Decltype, Expression(), null);
                        if (dc is not null && NextChar() != 'E')
                            dc = null;
                        canSubst = true;
                        break;
                    case 'p':
                        dc = Comp(DemangleKind.PackExpansion, Type(), null);
                        canSubst = true;
                        break;
                    case 'a':
                        dc = MakeName("auto");
                        break;
                    case 'c':
                        dc = MakeName("decltype(auto)");
                        break;
                    case 'f':
                        dc = MakeBuiltin(26);
                        break;
                    case 'd':
                        dc = MakeBuiltin(27);
                        break;
                    case 'e':
                        dc = MakeBuiltin(28);
                        break;
                    case 'h':
                        dc = MakeBuiltin(29);
                        break;
                    case 'u':
                        dc = MakeBuiltin(30);
                        break;
                    case 's':
                        dc = MakeBuiltin(31);
                        break;
                    case 'i':
                        dc = MakeBuiltin(32);
                        break;
                    case 'F':
                    {
                        // DF<N>_ is _Float<N>, DF<N>x is _Float<N>x, DF16b is std::bfloat16_t.
                        int arg = Number();
                        if (Peek == 'b')
                        {
                            if (arg != 16)
                                return null;
                            Advance(1);
                            dc = MakeBuiltin(35);
                            break;
                        }

                        char suffix = Peek == 'x' ? 'x' : '\0';
                        if (suffix == '\0' && Peek != '_')
                            return null;
                        if (_comps >= _maxComps)
                            return null;
                        _comps++;
                        dc = new DemangleNode(DemangleKind.ExtendedBuiltinType)
                        {
                            Builtin = BuiltinTypes[34],
                            Number = arg,
                            Suffix = suffix,
                        };
                        Advance(1);
                        break;
                    }

                    case 'v':
                        dc = VectorType();
                        canSubst = true;
                        break;
                    case 'n':
                        dc = MakeBuiltin(NullptrBuiltin);
                        break;
                    default:
                        return null;
                }

                break;

            case 'S':
            {
                // A substitution is a class-enum-type; std:: names go through <name>.
                char next = PeekNext;
                if (IsDigit(next) || next == '_' || IsUpper(next))
                {
                    dc = Substitution();
                    if (dc?.Kind is DemangleKind.ModuleName or DemangleKind.ModulePartition)
                        return null; // a module is not a type
                    if (Peek == 'I')
                        dc = Comp(DemangleKind.Template, dc, TemplateArgs());
                    else
                        canSubst = false;
                }
                else
                {
                    return Name(true);
                }

                break;
            }

            default:
                // <class-enum-type>: <name> adds itself as a candidate. Like GNU, anything
                // else that starts a <name> (an operator name, 'L' local name, ...) is accepted.
                return Name(true);
        }

        if (canSubst && !AddSubstitution(dc))
            return null;
        return dc;
    }

    private DemangleNode? FunctionType()
    {
        if (_recursionLevel > RecursionLimit)
            return null;
        _recursionLevel++;
        DemangleNode? ret = null;
        if (CheckChar('F'))
        {
            if (Peek == 'Y')
                Advance(1); // extern "C": not printed
            ret = BareFunctionType(true);
            ret = RefQualifier(ret);
            if (!CheckChar('E'))
                ret = null;
        }

        _recursionLevel--;
        return ret;
    }

    private DemangleNode? RefQualifier(DemangleNode? sub)
    {
        char peek = Peek;
        if (peek is not ('R' or 'O'))
            return sub;
        Advance(1);
        return Comp(peek == 'R' ? DemangleKind.ReferenceThis : DemangleKind.RvalueReferenceThis, sub, null);
    }

    private DemangleNode? BareFunctionType(bool hasReturnType)
    {
        if (Peek == 'J')
        {
            // The first type is the return type.
            Advance(1);
            hasReturnType = true;
        }

        DemangleNode? returnType = null;
        if (hasReturnType)
        {
            returnType = Type();
            if (returnType is null)
                return null;
        }

        var tl = ParmList();
        if (tl is null)
            return null;
        return Comp(DemangleKind.FunctionType, returnType, tl);
    }

    private DemangleNode? ParmList()
    {
        DemangleNode? head = null;
        DemangleNode? tail = null;
        while (true)
        {
            char peek = Peek;
            if (peek is '\0' or 'E' or '.' or 'Q')
                break;
            if (peek is 'R' or 'O' && PeekNext == 'E')
                break; // function ref-qualifier, not a reference parameter
            var type = Type();
            if (type is null)
                return null;
            var cell = Comp(DemangleKind.ArgList, type, null);
            if (cell is null)
                return null;
            if (tail is null)
                head = cell;
            else
                tail.Right = cell;
            tail = cell;
        }

        // At least one parameter type; a lone 'void' means "no parameters".
        if (head is null)
            return null;
        if (head.Right is null && head.Left is { Kind: DemangleKind.BuiltinType, Builtin.Print: BuiltinPrint.Void })
            head.Left = null;
        return head;
    }

    private DemangleNode? ArrayType()
    {
        if (!CheckChar('A'))
            return null;
        DemangleNode? dim;
        char peek = Peek;
        if (peek == '_')
        {
            dim = null;
        }
        else if (IsDigit(peek))
        {
            int start = _pos;
            do
            {
                Advance(1);
            }
            while (IsDigit(Peek));
            dim = MakeNameAt(start, _pos - start);
            if (dim is null)
                return null;
        }
        else
        {
            dim = Expression();
            if (dim is null)
                return null;
        }

        if (!CheckChar('_'))
            return null;
        return Comp(DemangleKind.ArrayType, dim, Type());
    }

    private DemangleNode? VectorType()
    {
        DemangleNode? dim;
        if (Peek == '_')
        {
            Advance(1);
            dim = Expression();
        }
        else
        {
            dim = NumberComponent();
        }

        if (dim is null)
            return null;
        if (!CheckChar('_'))
            return null;
        return Comp(DemangleKind.VectorType, dim, Type());
    }

    private DemangleNode? PointerToMemberType()
    {
        if (!CheckChar('M'))
            return null;
        var cl = Type();
        if (cl is null)
            return null;
        var mem = Type();
        if (mem is null)
            return null;
        return Comp(DemangleKind.PtrMemType, cl, mem);
    }

    private int CompactNumber()
    {
        int num;
        if (Peek == '_')
            num = 0;
        else if (Peek == 'n')
            return -1;
        else
            num = Number() + 1;
        if (num < 0 || !CheckChar('_'))
            return -1;
        return num;
    }

    private DemangleNode? TemplateParam()
    {
        if (!CheckChar('T'))
            return null;
        int param = CompactNumber();
        if (param < 0)
            return null;
        return MakeNumbered(DemangleKind.TemplateParam, param);
    }

    // ---- template arguments ----

    private DemangleNode? TemplateArgs()
    {
        if (Peek is not ('I' or 'J'))
            return null;
        Advance(1);
        return TemplateArgs1();
    }

    private DemangleNode? TemplateArgs1()
    {
        // Template arguments must not change the name a later constructor refers to.
        var holdLastName = _lastName;
        if (Peek == 'E')
        {
            // An argument pack can be empty.
            Advance(1);
            return Comp(DemangleKind.TemplateArgList, null, null);
        }

        DemangleNode? head = null;
        DemangleNode? tail = null;
        while (true)
        {
            var a = TemplateArg();
            if (a is null)
                return null;
            var cell = Comp(DemangleKind.TemplateArgList, a, null);
            if (cell is null)
                return null;
            if (tail is null)
                head = cell;
            else
                tail.Right = cell;
            tail = cell;
            if (Peek == 'E')
            {
                Advance(1);
                break;
            }
        }

        _lastName = holdLastName;
        return head;
    }

    private DemangleNode? TemplateArg()
    {
        if (!StackOk())
            return null;
        switch (Peek)
        {
            case 'X':
            {
                Advance(1);
                var ret = Expression();
                if (!CheckChar('E'))
                    return null;
                return ret;
            }

            case 'L':
                return ExprPrimary();
            case 'I' or 'J':
                return TemplateArgs(); // an argument pack
            default:
                return Type();
        }
    }

    // ---- expressions ----

    private DemangleNode? Expression()
    {
        bool wasExpression = _isExpression;
        _isExpression = true;
        var ret = Expression1();
        _isExpression = wasExpression;
        return ret;
    }

    private DemangleNode? ExprList(char terminator)
    {
        if (Peek == terminator)
        {
            Advance(1);
            return Comp(DemangleKind.ArgList, null, null);
        }

        DemangleNode? head = null;
        DemangleNode? tail = null;
        while (true)
        {
            var arg = Expression1();
            if (arg is null)
                return null;
            var cell = Comp(DemangleKind.ArgList, arg, null);
            if (cell is null)
                return null;
            if (tail is null)
                head = cell;
            else
                tail.Right = cell;
            tail = cell;
            if (Peek == terminator)
            {
                Advance(1);
                break;
            }
        }

        return head;
    }

    private static bool IsNewCast(DemangleNode op)
    {
        if (op.Kind != DemangleKind.Operator)
            return false;
        string code = op.Operator!.Code;
        return code[1] == 'c' && code[0] is 's' or 'd' or 'c' or 'r';
    }

    private DemangleNode? Expression1()
    {
        if (!StackOk())
            return null;
        char peek = Peek;
        if (peek == 'L')
            return ExprPrimary();
        if (peek == 'T')
            return TemplateParam();
        if (peek == 's' && PeekNext == 'r')
        {
            Advance(2);
            return UnresolvedName();
        }

        if (peek == 's' && PeekNext == 'p')
        {
            Advance(2);
            return Comp(DemangleKind.PackExpansion, Expression1(), null);
        }

        if (peek == 'f' && PeekNext == 'p')
        {
            // A function parameter used in a late-specified return type.
            Advance(2);
            int index;
            if (Peek == 'T')
            {
                Advance(1); // 'this'
                index = 0;
            }
            else
            {
                index = CompactNumber();
                if (index is int.MaxValue or -1)
                    return null;
                index++;
            }

            return MakeNumbered(DemangleKind.FunctionParam, index);
        }

        if (IsDigit(peek) || (peek == 'o' && PeekNext == 'n'))
        {
            // An unqualified name in a dependent call such as decltype(f(t)).
            if (peek == 'o')
                Advance(2);
            var name = UnqualifiedName(null, null);
            if (name is null)
                return null;
            return Peek == 'I' ? Comp(DemangleKind.Template, name, TemplateArgs()) : name;
        }

        if (peek is 'i' or 't' && PeekNext == 'l')
        {
            // A braced initializer list, untyped (il) or typed (tl).
            DemangleNode? type = null;
            Advance(2);
            if (peek == 't')
                type = Type();
            if (Peek == '\0' || PeekNext == '\0')
                return null;
            return Comp(DemangleKind.InitializerList, type, ExprList('E'));
        }

        if (peek == 'u')
        {
            // A vendor extended expression.
            Advance(1);
            var name = SourceName();
            var args = TemplateArgs1();
            return Comp(DemangleKind.VendorExpr, name, args);
        }

        var op = OperatorName();
        if (op is null)
            return null;

        string? code = null;
        if (op.Kind == DemangleKind.Operator)
        {
            code = op.Operator!.Code;
            if (code == "st")
                return Comp(DemangleKind.Unary, op, Type());
        }

        int args2 = op.Kind switch
        {
            DemangleKind.Operator => op.Operator!.Arity,
            DemangleKind.ExtendedOperator => op.Number,
            DemangleKind.Cast => 1,
            _ => -1,
        };

        switch (args2)
        {
            case 0:
                return Comp(DemangleKind.Nullary, op, null);

            case 1:
            {
                bool suffix = false;
                if (code is not null && code[0] is 'p' or 'm' && code[1] == code[0])
                    suffix = !CheckChar('_'); // pp_ / mm_ are the prefix forms
                DemangleNode? operand;
                if (op.Kind == DemangleKind.Cast && CheckChar('_'))
                    operand = ExprList('E');
                else if (code == "sP")
                    operand = TemplateArgs1();
                else
                    operand = Expression1();
                if (suffix)
                    operand = Comp(DemangleKind.BinaryArgs, operand, operand);
                return Comp(DemangleKind.Unary, op, operand);
            }

            case 2:
            {
                if (code is null)
                    return null;
                DemangleNode? left;
                if (IsNewCast(op))
                    left = Type();
                else if (code[0] == 'f')
                    left = OperatorName(); // fold expression
                else if (code == "di")
                    left = UnqualifiedName(null, null);
                else
                    left = Expression1();

                DemangleNode? right;
                if (code == "cl")
                {
                    right = ExprList('E');
                }
                else if (code is "dt" or "pt")
                {
                    peek = Peek;
                    if ((peek == 'g' && PeekNext == 's') || (peek == 's' && PeekNext == 'r'))
                    {
                        right = Expression1();
                    }
                    else
                    {
                        right = UnqualifiedName(null, null);
                        if (Peek == 'I')
                            right = Comp(DemangleKind.Template, right, TemplateArgs());
                    }
                }
                else
                {
                    right = Expression1();
                }

                return Comp(DemangleKind.Binary, op, Comp(DemangleKind.BinaryArgs, left, right));
            }

            case 3:
            {
                if (code is null)
                    return null;
                DemangleNode? first;
                DemangleNode? second;
                DemangleNode? third;
                if (code is "qu" or "dX")
                {
                    first = Expression1();
                    second = Expression1();
                    third = Expression1();
                    if (third is null)
                        return null;
                }
                else if (code[0] == 'f')
                {
                    first = OperatorName();
                    second = Expression1();
                    third = Expression1();
                    if (third is null)
                        return null;
                }
                else if (code[0] == 'n')
                {
                    if (code[1] is not ('w' or 'a'))
                        return null;
                    first = ExprList('_');
                    second = Type();
                    if (Peek == 'E')
                    {
                        Advance(1);
                        third = null;
                    }
                    else if (Peek == 'p' && PeekNext == 'i')
                    {
                        Advance(2);
                        third = ExprList('E');
                    }
                    else if (Peek == 'i' && PeekNext == 'l')
                    {
                        third = Expression1();
                    }
                    else
                    {
                        return null;
                    }
                }
                else
                {
                    return null;
                }

                return Comp(DemangleKind.Trinary, op,
                    Comp(DemangleKind.TrinaryArg1, first, Comp(DemangleKind.TrinaryArg2, second, third)));
            }

            default:
                return null;
        }
    }

    /// <summary>
    /// The part of an &lt;unresolved-name&gt; after <c>sr</c>. The ABI changed this grammar, and
    /// GNU parses a name with the current one first and, if the whole name then fails, again
    /// with the old one (see <see cref="SawUnresolvedName"/>):
    /// <list type="bullet">
    /// <item>current: <c>&lt;unresolved-qualifier-level&gt;+ E &lt;base-unresolved-name&gt;</c>
    /// when the name starts like an unqualified name (digit, lower case, L, U), read like a
    /// nested-name prefix whose levels are not substitution candidates; otherwise
    /// <c>&lt;unresolved-type&gt; &lt;base-unresolved-name&gt;</c>;</item>
    /// <item>old: <c>&lt;type&gt; &lt;unqualified-name&gt;</c>, the type being an ordinary type and
    /// so a substitution candidate.</item>
    /// </list>
    /// GNU is lenient: a qualifier that does not parse is dropped (the base name is printed
    /// alone) and the 'E' is optional. Template arguments after the base apply to the whole
    /// qualified name, which is how GNU prints them: <c>(A::x&lt;int&gt;)()</c>.
    /// </summary>
    private DemangleNode? UnresolvedName()
    {
        if (!_oldUnresolvedNameGrammar)
        {
            SawUnresolvedName = true;
            if (IsDigit(Peek) || IsLower(Peek) || Peek is 'L' or 'U')
            {
                var prefix = Prefix(false);
                CheckChar('E');
                return WithTemplateArgs(UnqualifiedName(prefix, null));
            }
        }

        var type = Type();
        return WithTemplateArgs(UnqualifiedName(type, null));
    }

    private DemangleNode? WithTemplateArgs(DemangleNode? name) =>
        name is not null && Peek == 'I' ? Comp(DemangleKind.Template, name, TemplateArgs()) : name;

    private DemangleNode? ExprPrimary()
    {
        if (!CheckChar('L'))
            return null;
        DemangleNode? ret;
        if (Peek is '_' or 'Z')
        {
            // An external name (L_Z...E); 'Z' alone works around an old g++ bug.
            ret = MangledName(false);
        }
        else
        {
            var type = Type();
            if (type is null)
                return null;

            if (type.Kind == DemangleKind.BuiltinType && ReferenceEquals(type.Builtin, BuiltinTypes[NullptrBuiltin])
                && Peek == 'E')
            {
                Advance(1);
                return type;
            }

            // The value is kept as text; GNU does not interpret it.
            var kind = DemangleKind.Literal;
            if (Peek == 'n')
            {
                kind = DemangleKind.LiteralNeg;
                Advance(1);
            }

            int start = _pos;
            while (Peek != 'E')
            {
                if (Peek == '\0')
                    return null;
                Advance(1);
            }

            ret = Comp(kind, type, MakeNameAt(start, _pos - start));
        }

        if (!CheckChar('E'))
            return null;
        return ret;
    }

    // ---- local names, lambdas, unnamed types ----

    private DemangleNode? LocalName()
    {
        if (!CheckChar('Z'))
            return null;
        var function = Encoding(false);
        if (function is null)
            return null;
        if (!CheckChar('E'))
            return null;

        DemangleNode? name;
        if (Peek == 's')
        {
            Advance(1);
            if (!Discriminator())
                return null;
            name = MakeName("string literal");
        }
        else
        {
            int num = -1;
            if (Peek == 'd')
            {
                // Default argument scope: d <number> _
                Advance(1);
                num = CompactNumber();
                if (num < 0)
                    return null;
            }

            name = Name(false);
            if (name is not null && name.Kind is not (DemangleKind.Lambda or DemangleKind.UnnamedType))
            {
                // Lambdas and unnamed types carry their own number; others may have a discriminator.
                if (!Discriminator())
                    return null;
            }

            if (num >= 0)
            {
                if (_comps >= _maxComps)
                    return null;
                _comps++;
                name = new DemangleNode(DemangleKind.DefaultArg) { Number = num, Left = name };
            }
        }

        // The enclosing function's return type is not shown.
        if (function.Kind == DemangleKind.TypedName && function.Right?.Kind == DemangleKind.FunctionType)
            function.Right.Left = null;

        return Comp(DemangleKind.LocalName, function, name);
    }

    private bool Discriminator()
    {
        int underscores = 1;
        if (Peek != '_')
            return true;
        Advance(1);
        if (Peek == '_')
        {
            underscores++;
            Advance(1);
        }

        int discrim = Number();
        if (discrim < 0)
            return false;
        if (underscores > 1 && discrim >= 10)
        {
            if (Peek == '_')
                Advance(1);
            else
                return false;
        }

        return true;
    }

    /// <summary>Lambda template parameter declarations: Ty, Tn &lt;type&gt;, Tt &lt;head&gt; E, Tp &lt;decl&gt;.</summary>
    private DemangleNode? TemplateParmDecl(ref bool bad)
    {
        if (Peek != 'T' || !StackOk())
            return null;
        DemangleNode? op;
        DemangleKind kind;
        switch (PeekNext)
        {
            case 'p':
                Advance(2);
                op = TemplateParmDecl(ref bad);
                kind = DemangleKind.TemplatePackParm;
                if (op is null)
                {
                    bad = true;
                    return null;
                }

                break;
            case 'y':
                Advance(2);
                op = null;
                kind = DemangleKind.TemplateTypeParm;
                break;
            case 'n':
                Advance(2);
                op = Type();
                kind = DemangleKind.TemplateNonTypeParm;
                if (op is null)
                {
                    bad = true;
                    return null;
                }

                break;
            case 't':
                Advance(2);
                op = TemplateHead(ref bad);
                kind = DemangleKind.TemplateTemplateParm;
                if (op is null || !CheckChar('E'))
                {
                    bad = true;
                    return null;
                }

                break;
            default:
                return null;
        }

        return Comp(kind, op, null);
    }

    private DemangleNode? TemplateHead(ref bool bad)
    {
        DemangleNode? head = null;
        DemangleNode? tail = null;
        DemangleNode? op;
        while ((op = TemplateParmDecl(ref bad)) is not null)
        {
            if (tail is null)
                head = op;
            else
                tail.Right = op;
            tail = op;
        }

        return head is null ? null : Comp(DemangleKind.TemplateHead, head, null);
    }

    private DemangleNode? Lambda()
    {
        if (!CheckChar('U') || !CheckChar('l'))
            return null;
        bool bad = false;
        var head = TemplateHead(ref bad);
        if (bad)
            return null;
        var tl = ParmList();
        if (tl is null)
            return null;
        if (head is not null)
        {
            head.Right = tl;
            tl = head;
        }

        if (!CheckChar('E'))
            return null;
        int num = CompactNumber();
        if (num < 0)
            return null;
        if (_comps >= _maxComps)
            return null;
        _comps++;
        return new DemangleNode(DemangleKind.Lambda) { Left = tl, Number = num };
    }

    private DemangleNode? UnnamedType()
    {
        if (!CheckChar('U') || !CheckChar('t'))
            return null;
        int num = CompactNumber();
        if (num < 0)
            return null;

        // Unlike a lambda, an unnamed type is a substitution candidate on its own (GNU).
        var ret = MakeNumbered(DemangleKind.UnnamedType, num);
        return AddSubstitution(ret) ? ret : null;
    }

    // ---- substitutions ----

    /// <summary>
    /// <c>S_</c>, <c>S&lt;seq-id&gt;_</c> or an abbreviation (<c>St</c>, <c>Sa</c>, <c>Ss</c>, ...).
    /// c++filt runs verbose, so abbreviations print in full wherever they appear.
    /// </summary>
    private DemangleNode? Substitution()
    {
        if (!CheckChar('S'))
            return null;
        char c = NextChar();
        if (c == '_' || IsDigit(c) || IsUpper(c))
        {
            uint id = 0;
            if (c != '_')
            {
                do
                {
                    uint newId;
                    if (IsDigit(c))
                        newId = unchecked(id * 36 + c - '0');
                    else if (IsUpper(c))
                        newId = unchecked(id * 36 + c - 'A' + 10);
                    else
                        return null;
                    if (newId < id)
                        return null;
                    id = newId;
                    c = NextChar();
                }
                while (c != '_');

                id++;
            }

            if (id >= (uint)_subs.Count)
                return null;
            return _subs[(int)id];
        }

        foreach (var p in StandardSubs)
        {
            if (c != p.Code)
                continue;
            if (p.LastName is not null)
                _lastName = MakeSub(p.LastName);
            var dc = MakeSub(p.FullExpansion);
            if (Peek == 'B')
            {
                // An abbreviation with ABI tags becomes a substitution candidate.
                dc = AbiTags(dc);
                if (!AddSubstitution(dc))
                    return null;
            }

            return dc;
        }

        return null;
    }
}
