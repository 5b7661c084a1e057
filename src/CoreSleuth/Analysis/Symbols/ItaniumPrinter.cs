using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace CoreSleuth.Analysis.Symbols;

/// <summary>
/// Turns a tree from <see cref="ItaniumParser"/> into text laid out the way GNU c++filt
/// prints it: declarator syntax built from a stack of pending modifiers (so that
/// <c>PFivE</c> prints as <c>int (*)()</c>), qualifiers after the type (<c>char const*</c>),
/// <c>&gt; &gt;</c> never fused, template parameters resolved against the enclosing template.
/// Errors (unresolvable template parameter, cycles, limits) make the whole result null.
/// </summary>
internal sealed class ItaniumPrinter
{
    /// <summary>GNU's limit on nested print calls.</summary>
    private const int MaxRecursion = 1024;

    private readonly StringBuilder _out = new();
    private readonly int _maxOutput;
    private readonly int _maxSteps;
    private int _steps;
    private char _lastChar;
    private bool _failed;
    private int _recursion;
    private PrintTemplate? _templates;
    private PrintMod? _modifiers;
    private int _packIndex;
    private int _lambdaTplParms;
    private DemangleNode? _currentTemplate;
    private readonly List<DemangleNode> _componentStack = [];
    private readonly Dictionary<DemangleNode, PrintTemplate?> _savedScopes = new(ReferenceEqualityComparer.Instance);

    private sealed record PrintTemplate(DemangleNode? TemplateDecl, PrintTemplate? Next);

    /// <summary>A pending modifier (pointer, qualifier, function or array declarator) waiting for the declarator.</summary>
    private sealed class PrintMod
    {
        public PrintMod? Next;
        public DemangleNode Mod = null!;
        public bool Printed;
        public PrintTemplate? Templates;

        public void CopyFrom(PrintMod other)
        {
            Next = other.Next;
            Mod = other.Mod;
            Printed = other.Printed;
            Templates = other.Templates;
        }
    }

    private ItaniumPrinter(int maxOutput, int maxSteps)
    {
        _maxOutput = maxOutput;
        _maxSteps = maxSteps;
    }

    public static string? Print(DemangleNode root, int maxOutput, int maxSteps)
    {
        var printer = new ItaniumPrinter(maxOutput, maxSteps);
        printer.Comp(root);
        return printer._failed ? null : printer._out.ToString();
    }

    // ---- output ----

    private void Error() => _failed = true;

    private void Append(char c)
    {
        if (_out.Length >= _maxOutput)
        {
            _failed = true;
            return;
        }

        _out.Append(c);
        _lastChar = c;
    }

    private void Append(string s)
    {
        if (s.Length == 0)
            return;
        if (_out.Length + s.Length > _maxOutput)
        {
            _failed = true;
            return;
        }

        _out.Append(s);
        _lastChar = s[^1];
    }

    private void AppendNum(int n) => Append(n.ToString(CultureInfo.InvariantCulture));

    private static bool IsFnQual(DemangleKind kind) => ItaniumParser.IsFunctionQualifier(kind);

    // ---- the main walk ----

    private void Comp(DemangleNode? dc)
    {
        if (dc is null || dc.Printing > 1 || _recursion > MaxRecursion || ++_steps > _maxSteps
            || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            Error();
            return;
        }

        dc.Printing++;
        _recursion++;
        _componentStack.Add(dc);
        CompInner(dc);
        _componentStack.RemoveAt(_componentStack.Count - 1);
        dc.Printing--;
        _recursion--;
    }

    private void CompInner(DemangleNode dc)
    {
        if (_failed)
            return;

        // Lets reference collapsing skip one level without modifying the tree.
        DemangleNode? modInner = null;
        PrintTemplate? savedTemplates = null;
        bool needTemplateRestore = false;

        switch (dc.Kind)
        {
            case DemangleKind.Name:
                Append(dc.Text);
                return;

            case DemangleKind.TaggedName:
                Comp(dc.Left);
                Append("[abi:");
                Comp(dc.Right);
                Append(']');
                return;

            case DemangleKind.StructuredBinding:
            {
                Append('[');
                var list = dc.Left;
                while (true)
                {
                    Comp(list?.Left);
                    list = list?.Right;
                    if (list is null || _failed)
                        break;
                    Append(", ");
                }

                Append(']');
                return;
            }

            case DemangleKind.ModuleEntity:
                Comp(dc.Left);
                Append('@');
                Comp(dc.Right);
                return;

            case DemangleKind.ModuleName or DemangleKind.ModulePartition:
            {
                if (dc.Left is not null)
                    Comp(dc.Left);
                char c = dc.Kind == DemangleKind.ModulePartition ? ':' : dc.Left is not null ? '.' : '\0';
                if (c != '\0')
                    Append(c);
                Comp(dc.Right);
                return;
            }

            case DemangleKind.QualName or DemangleKind.LocalName:
            {
                Comp(dc.Left);
                Append("::");
                var localName = dc.Right;
                if (localName is { Kind: DemangleKind.DefaultArg })
                {
                    Append("{default arg#");
                    AppendNum(localName.Number + 1);
                    Append("}::");
                    localName = localName.Left;
                }

                Comp(localName);
                return;
            }

            case DemangleKind.TypedName:
                TypedName(dc);
                return;

            case DemangleKind.Template:
            {
                // The template may be needed by a conversion operator inside it.
                var holdCurrent = _currentTemplate;
                _currentTemplate = dc;

                // Do not push modifiers into a template: treat it as a name.
                var holdModifiers = _modifiers;
                _modifiers = null;
                Comp(dc.Left);
                if (_lastChar == '<')
                    Append(' ');
                Append('<');
                Comp(dc.Right);
                if (_lastChar == '>')
                    Append(' '); // never print '>>'
                Append('>');
                _modifiers = holdModifiers;
                _currentTemplate = holdCurrent;
                return;
            }

            case DemangleKind.TemplateParam:
                TemplateParam(dc);
                return;

            case DemangleKind.TemplateParamObject:
                Append("template parameter object for ");
                Comp(dc.Left);
                return;

            case DemangleKind.Ctor:
                Comp(dc.Left);
                return;

            case DemangleKind.Dtor:
                Append('~');
                Comp(dc.Left);
                return;

            case DemangleKind.VTable:
                Prefixed("vtable for ", dc.Left);
                return;
            case DemangleKind.Vtt:
                Prefixed("VTT for ", dc.Left);
                return;
            case DemangleKind.ConstructionVTable:
                Append("construction vtable for ");
                Comp(dc.Left);
                Append("-in-");
                Comp(dc.Right);
                return;
            case DemangleKind.TypeInfo:
                Prefixed("typeinfo for ", dc.Left);
                return;
            case DemangleKind.TypeInfoName:
                Prefixed("typeinfo name for ", dc.Left);
                return;
            case DemangleKind.TypeInfoFn:
                Prefixed("typeinfo fn for ", dc.Left);
                return;
            case DemangleKind.Thunk:
                Prefixed("non-virtual thunk to ", dc.Left);
                return;
            case DemangleKind.VirtualThunk:
                Prefixed("virtual thunk to ", dc.Left);
                return;
            case DemangleKind.CovariantThunk:
                Prefixed("covariant return thunk to ", dc.Left);
                return;
            case DemangleKind.JavaClass:
                Prefixed("java Class for ", dc.Left);
                return;
            case DemangleKind.Guard:
                Prefixed("guard variable for ", dc.Left);
                return;
            case DemangleKind.TlsInit:
                Prefixed("TLS init function for ", dc.Left);
                return;
            case DemangleKind.TlsWrapper:
                Prefixed("TLS wrapper function for ", dc.Left);
                return;
            case DemangleKind.RefTemp:
                Append("reference temporary #");
                Comp(dc.Right);
                Append(" for ");
                Comp(dc.Left);
                return;
            case DemangleKind.HiddenAlias:
                Prefixed("hidden alias for ", dc.Left);
                return;
            case DemangleKind.TransactionClone:
                Prefixed("transaction clone for ", dc.Left);
                return;
            case DemangleKind.NonTransactionClone:
                Prefixed("non-transaction clone for ", dc.Left);
                return;
            case DemangleKind.GlobalConstructors:
                Prefixed("global constructors keyed to ", dc.Left);
                return;
            case DemangleKind.GlobalDestructors:
                Prefixed("global destructors keyed to ", dc.Left);
                return;

            case DemangleKind.SubStd:
                Append(dc.Text);
                return;

            case DemangleKind.Restrict or DemangleKind.Volatile or DemangleKind.Const:
            {
                // A qualifier already pending in the same run of cv-qualifiers is printed
                // once (arrays push theirs twice; a template argument "int const" used as
                // "T const&" gives "int const&").
                for (var pdpm = _modifiers; pdpm is not null; pdpm = pdpm.Next)
                {
                    if (pdpm.Printed)
                        continue;
                    if (pdpm.Mod.Kind is not (DemangleKind.Restrict or DemangleKind.Volatile or DemangleKind.Const))
                        break;
                    if (pdpm.Mod.Kind == dc.Kind)
                    {
                        Comp(dc.Left);
                        return;
                    }
                }

                break; // to the modifier handling below
            }

            case DemangleKind.Reference or DemangleKind.RvalueReference:
            {
                // Reference collapsing: & + && = &.
                var sub = dc.Left;
                if (sub is null)
                {
                    Error();
                    return;
                }

                if (_lambdaTplParms == 0 && sub.Kind == DemangleKind.TemplateParam)
                {
                    if (!_savedScopes.TryGetValue(sub, out var scopeTemplates))
                    {
                        // First visit: remember the templates in scope in case the
                        // parameter is reached again through a substitution.
                        _savedScopes[sub] = _templates;
                    }
                    else
                    {
                        bool foundSelfOrParent = false;
                        for (int i = _componentStack.Count - 1; i >= 0; i--)
                        {
                            var e = _componentStack[i];
                            if (ReferenceEquals(e, sub) || (ReferenceEquals(e, dc) && i != _componentStack.Count - 1))
                            {
                                foundSelfOrParent = true;
                                break;
                            }
                        }

                        if (!foundSelfOrParent)
                        {
                            savedTemplates = _templates;
                            _templates = scopeTemplates;
                            needTemplateRestore = true;
                        }
                    }

                    var a = LookupTemplateArgument(sub);
                    if (a is { Kind: DemangleKind.TemplateArgList })
                        a = IndexTemplateArgument(a, _packIndex);
                    if (a is null)
                    {
                        if (needTemplateRestore)
                            _templates = savedTemplates;
                        Error();
                        return;
                    }

                    sub = a;
                }

                if (sub.Kind == DemangleKind.Reference || sub.Kind == dc.Kind)
                    dc = sub;
                else if (sub.Kind == DemangleKind.RvalueReference)
                    modInner = sub.Left;
                break; // to the modifier handling below
            }

            case DemangleKind.VendorTypeQual or DemangleKind.Pointer or DemangleKind.Complex
                or DemangleKind.Imaginary:
                break; // to the modifier handling below

            case DemangleKind.BuiltinType:
                Append(dc.Builtin!.Name);
                return;

            case DemangleKind.ExtendedBuiltinType:
                Append(dc.Builtin!.Name);
                AppendNum(dc.Number);
                if (dc.Suffix != '\0')
                    Append(dc.Suffix);
                return;

            case DemangleKind.VendorType:
                Comp(dc.Left);
                return;

            case DemangleKind.FunctionType:
            {
                // Print the return type with this function as a pending modifier, so a
                // function returning a function pointer nests correctly.
                if (dc.Left is not null)
                {
                    var dpm = new PrintMod { Next = _modifiers, Mod = dc, Templates = _templates };
                    _modifiers = dpm;
                    Comp(dc.Left);
                    _modifiers = dpm.Next;
                    if (dpm.Printed)
                        return;
                    Append(' ');
                }

                FunctionTypeText(dc, _modifiers);
                return;
            }

            case DemangleKind.ArrayType:
                ArrayTypeComp(dc);
                return;

            case DemangleKind.PtrMemType or DemangleKind.VectorType:
            {
                var dpm = new PrintMod { Next = _modifiers, Mod = dc, Templates = _templates };
                _modifiers = dpm;
                Comp(dc.Right);
                if (!dpm.Printed)
                    Mod(dc);
                _modifiers = dpm.Next;
                return;
            }

            case DemangleKind.ArgList or DemangleKind.TemplateArgList:
                if (dc.Left is not null)
                    Comp(dc.Left);
                if (dc.Right is not null)
                {
                    Append(", ");
                    int len = _out.Length;
                    Comp(dc.Right);
                    // An empty argument pack prints nothing: drop the separator (GNU keeps
                    // its idea of the last character, which matters for "> >").
                    if (_out.Length == len && len >= 2)
                        _out.Length = len - 2;
                }

                return;

            case DemangleKind.InitializerList:
                if (dc.Left is not null)
                    Comp(dc.Left);
                Append('{');
                Comp(dc.Right);
                Append('}');
                return;

            case DemangleKind.Operator:
            {
                var op = dc.Operator!;
                string text = op.Text;
                Append("operator");
                if (text[0] is >= 'a' and <= 'z')
                    Append(' '); // operator new, operator delete, ...
                if (text[^1] == ' ')
                    text = text[..^1];
                Append(text);
                return;
            }

            case DemangleKind.ExtendedOperator:
                Append("operator ");
                Comp(dc.Left);
                return;

            case DemangleKind.Conversion:
                Append("operator ");
                Conversion(dc);
                return;

            case DemangleKind.Nullary:
                ExprOp(dc.Left);
                return;

            case DemangleKind.Unary:
                Unary(dc);
                return;

            case DemangleKind.Binary:
                Binary(dc);
                return;

            case DemangleKind.BinaryArgs or DemangleKind.TrinaryArg1 or DemangleKind.TrinaryArg2:
                Error(); // only valid under Binary / Trinary
                return;

            case DemangleKind.Trinary:
                Trinary(dc);
                return;

            case DemangleKind.Literal or DemangleKind.LiteralNeg:
                Literal(dc);
                return;

            case DemangleKind.Number:
                AppendNum(dc.Number);
                return;

            case DemangleKind.Decltype:
                Append("decltype (");
                Comp(dc.Left);
                Append(')');
                return;

            case DemangleKind.PackExpansion:
            {
                DemangleNode? a = null;
                if (_lambdaTplParms == 0)
                    a = FindPack(dc.Left, 0);
                if (a is null)
                {
                    // Only function parameter packs involved: print the pattern and "...".
                    Subexpr(dc.Left);
                    Append("...");
                }
                else
                {
                    int len = PackLength(a);
                    for (int i = 0; i < len && !_failed; i++)
                    {
                        if (i != 0)
                            Append(", ");
                        _packIndex = i;
                        Comp(dc.Left);
                    }
                }

                return;
            }

            case DemangleKind.FunctionParam:
                if (dc.Number == 0)
                {
                    Append("this");
                }
                else
                {
                    Append("{parm#");
                    AppendNum(dc.Number);
                    Append('}');
                }

                return;

            case DemangleKind.Lambda:
                LambdaText(dc);
                return;

            case DemangleKind.UnnamedType:
                Append("{unnamed type#");
                AppendNum(dc.Number + 1);
                Append('}');
                return;

            case DemangleKind.Clone:
                Comp(dc.Left);
                Append(" [clone ");
                Comp(dc.Right);
                Append(']');
                return;

            case DemangleKind.TemplateHead:
            {
                Append('<');
                int count = 0;
                for (var r = dc.Left; r is not null && !_failed; r = r.Right)
                {
                    if (count++ != 0)
                        Append(", ");
                    Comp(r);
                }

                Append('>');
                return;
            }

            case DemangleKind.TemplateTypeParm:
                Append("typename");
                return;
            case DemangleKind.TemplateNonTypeParm:
                Comp(dc.Left);
                return;
            case DemangleKind.TemplateTemplateParm:
                Append("template");
                Comp(dc.Left);
                Append(" class");
                return;
            case DemangleKind.TemplatePackParm:
                Comp(dc.Left);
                Append("...");
                return;

            case DemangleKind.JavaResource:
                Prefixed("java resource ", dc.Left);
                return;

            case DemangleKind.CompoundName:
                Comp(dc.Left);
                Comp(dc.Right);
                return;

            case DemangleKind.ModuleInit:
                Prefixed("initializer for module ", dc.Left);
                return;

            default:
                if (IsFnQual(dc.Kind))
                    break; // to the modifier handling below
                Error();
                return;
        }

        // Modifier: print the inner type with this node pending on the modifier stack;
        // the declarator printer may print it in place (e.g. inside "(*)").
        {
            var dpm = new PrintMod { Next = _modifiers, Mod = dc, Templates = _templates };
            _modifiers = dpm;
            modInner ??= dc.Left;
            Comp(modInner);
            if (!dpm.Printed)
                Mod(dc);
            _modifiers = dpm.Next;
            if (needTemplateRestore)
                _templates = savedTemplates;
        }
    }

    private void Prefixed(string text, DemangleNode? operand)
    {
        Append(text);
        Comp(operand);
    }

    private void TypedName(DemangleNode dc)
    {
        // Pass the name down to the type so it is printed where the declarator goes,
        // together with the qualifiers that apply to 'this'.
        var holdModifiers = _modifiers;
        _modifiers = null;
        var adpm = new PrintMod[4];
        int i = 0;
        var typedName = dc.Left;
        while (typedName is not null)
        {
            if (i >= adpm.Length)
            {
                Error();
                return;
            }

            adpm[i] = new PrintMod { Next = _modifiers, Mod = typedName, Templates = _templates };
            _modifiers = adpm[i];
            ++i;
            if (!IsFnQual(typedName.Kind))
                break;
            typedName = typedName.Left;
        }

        if (typedName is null)
        {
            Error();
            return;
        }

        // For a class local to a function, qualifiers on the local name's right side apply here.
        if (typedName.Kind == DemangleKind.LocalName)
        {
            typedName = typedName.Right;
            if (typedName is { Kind: DemangleKind.DefaultArg })
                typedName = typedName.Left;
            while (typedName is not null && IsFnQual(typedName.Kind))
            {
                if (i >= adpm.Length)
                {
                    Error();
                    return;
                }

                adpm[i] = new PrintMod();
                adpm[i].CopyFrom(adpm[i - 1]);
                adpm[i].Next = adpm[i - 1];
                _modifiers = adpm[i];
                adpm[i - 1].Mod = typedName;
                adpm[i - 1].Printed = false;
                adpm[i - 1].Templates = _templates;
                ++i;
                typedName = typedName.Left;
            }

            if (typedName is null)
            {
                Error();
                return;
            }
        }

        // A template name's arguments are in scope for the function type.
        bool pushed = false;
        if (typedName.Kind == DemangleKind.Template)
        {
            _templates = new PrintTemplate(typedName, _templates);
            pushed = true;
        }

        Comp(dc.Right);

        if (pushed)
            _templates = _templates!.Next;

        // Modifiers the type did not print go after it.
        while (i > 0)
        {
            --i;
            if (!adpm[i].Printed)
            {
                Append(' ');
                Mod(adpm[i].Mod);
            }
        }

        _modifiers = holdModifiers;
    }

    private void TemplateParam(DemangleNode dc)
    {
        if (_lambdaTplParms > dc.Number + 1)
        {
            // A parameter of the lambda's own template head: $T0, $N0, $TT0.
            var a = _templates?.TemplateDecl?.Left;
            for (int c = dc.Number; a is not null && c > 0; c--)
                a = a.Right;
            if (a is { Kind: DemangleKind.TemplatePackParm })
                a = a.Left;
            if (a is null)
                Error();
            else
                LambdaParmName(a.Kind, dc.Number);
            return;
        }

        if (_lambdaTplParms != 0)
        {
            // A generic lambda's 'auto' parameter.
            Append("auto:");
            AppendNum(dc.Number + 1);
            return;
        }

        var arg = LookupTemplateArgument(dc);
        if (arg is { Kind: DemangleKind.TemplateArgList })
            arg = IndexTemplateArgument(arg, _packIndex);
        if (arg is null)
        {
            Error();
            return;
        }

        // The argument may itself mention parameters of an outer template.
        var hold = _templates!;
        _templates = hold.Next;
        Comp(arg);
        _templates = hold;
    }

    private void LambdaParmName(DemangleKind kind, int index)
    {
        string prefix;
        switch (kind)
        {
            case DemangleKind.TemplateTypeParm:
                prefix = "$T";
                break;
            case DemangleKind.TemplateNonTypeParm:
                prefix = "$N";
                break;
            case DemangleKind.TemplateTemplateParm:
                prefix = "$TT";
                break;
            default:
                Error();
                prefix = "";
                break;
        }

        Append(prefix);
        AppendNum(index);
    }

    private void LambdaText(DemangleNode dc)
    {
        Append("{lambda");
        var parms = dc.Left;
        int savedTplParms = _lambdaTplParms;
        _lambdaTplParms = 0;
        var dpt = new PrintTemplate(parms is { Kind: DemangleKind.TemplateHead } ? parms : null, _templates);
        _templates = dpt;
        if (parms is { Kind: DemangleKind.TemplateHead })
        {
            Append('<');
            for (var parm = parms.Left; parm is not null && !_failed; parm = parm.Right)
            {
                if (_lambdaTplParms++ != 0)
                    Append(", ");
                Comp(parm);
                Append(' ');
                var named = parm.Kind == DemangleKind.TemplatePackParm ? parm.Left : parm;
                if (named is null)
                {
                    Error();
                    break;
                }

                LambdaParmName(named.Kind, _lambdaTplParms - 1);
            }

            Append('>');
            parms = parms.Right;
        }

        _lambdaTplParms++;
        Append('(');
        Comp(parms);
        _lambdaTplParms = savedTplParms;
        _templates = dpt.Next;
        Append(")#");
        AppendNum(dc.Number + 1);
        Append('}');
    }

    private DemangleNode? LookupTemplateArgument(DemangleNode dc)
    {
        if (_templates is null)
        {
            Error();
            return null;
        }

        return IndexTemplateArgument(_templates.TemplateDecl?.Right, dc.Number);
    }

    private static DemangleNode? IndexTemplateArgument(DemangleNode? args, int i)
    {
        if (i < 0)
            return args; // the whole argument pack
        var a = args;
        for (; a is not null; a = a.Right)
        {
            if (a.Kind != DemangleKind.TemplateArgList)
                return null;
            if (i <= 0)
                break;
            --i;
        }

        if (i != 0 || a is null)
            return null;
        return a.Left;
    }

    private DemangleNode? FindPack(DemangleNode? dc, int depth)
    {
        if (dc is null)
            return null;
        if (depth > MaxRecursion * 4 || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            Error();
            return null;
        }

        switch (dc.Kind)
        {
            case DemangleKind.TemplateParam:
            {
                var a = LookupTemplateArgument(dc);
                return a is { Kind: DemangleKind.TemplateArgList } ? a : null;
            }

            case DemangleKind.PackExpansion or DemangleKind.Lambda or DemangleKind.Name
                or DemangleKind.TaggedName or DemangleKind.Operator or DemangleKind.BuiltinType
                or DemangleKind.ExtendedBuiltinType or DemangleKind.SubStd
                or DemangleKind.FunctionParam or DemangleKind.UnnamedType or DemangleKind.DefaultArg
                or DemangleKind.Number:
                return null;

            case DemangleKind.ExtendedOperator or DemangleKind.Ctor or DemangleKind.Dtor:
                return FindPack(dc.Left, depth + 1);

            default:
                return FindPack(dc.Left, depth + 1) ?? FindPack(dc.Right, depth + 1);
        }
    }

    private static int PackLength(DemangleNode? dc)
    {
        int count = 0;
        while (dc is { Kind: DemangleKind.TemplateArgList, Left: not null })
        {
            ++count;
            dc = dc.Right;
        }

        return count;
    }

    private int ArgsLength(DemangleNode? dc)
    {
        int count = 0;
        for (; dc is { Kind: DemangleKind.TemplateArgList }; dc = dc.Right)
        {
            var elt = dc.Left;
            if (elt is null)
                break;
            if (elt.Kind == DemangleKind.PackExpansion)
                count += PackLength(FindPack(elt.Left, 0));
            else
                ++count;
        }

        return count;
    }

    // ---- modifiers and declarators ----

    private void ModList(PrintMod? mods, bool suffix)
    {
        for (; mods is not null && !_failed; mods = mods.Next)
        {
            if (mods.Printed || (!suffix && IsFnQual(mods.Mod.Kind)))
                continue;

            mods.Printed = true;
            var holdTemplates = _templates;
            _templates = mods.Templates;

            switch (mods.Mod.Kind)
            {
                case DemangleKind.FunctionType:
                    FunctionTypeText(mods.Mod, mods.Next);
                    _templates = holdTemplates;
                    return;

                case DemangleKind.ArrayType:
                    ArrayTypeText(mods.Mod, mods.Next);
                    _templates = holdTemplates;
                    return;

                case DemangleKind.LocalName:
                {
                    // Qualifiers were already pulled off the right side; print the rest as
                    // usual but without letting the left side see any modifiers.
                    var holdModifiers = _modifiers;
                    _modifiers = null;
                    Comp(mods.Mod.Left);
                    _modifiers = holdModifiers;
                    Append("::");
                    var dc = mods.Mod.Right;
                    if (dc is { Kind: DemangleKind.DefaultArg })
                    {
                        Append("{default arg#");
                        AppendNum(dc.Number + 1);
                        Append("}::");
                        dc = dc.Left;
                    }

                    while (dc is not null && IsFnQual(dc.Kind))
                        dc = dc.Left;
                    Comp(dc);
                    _templates = holdTemplates;
                    return;
                }

                default:
                    Mod(mods.Mod);
                    _templates = holdTemplates;
                    break;
            }
        }
    }

    private void Mod(DemangleNode mod)
    {
        switch (mod.Kind)
        {
            case DemangleKind.Restrict or DemangleKind.RestrictThis:
                Append(" restrict");
                return;
            case DemangleKind.Volatile or DemangleKind.VolatileThis:
                Append(" volatile");
                return;
            case DemangleKind.Const or DemangleKind.ConstThis:
                Append(" const");
                return;
            case DemangleKind.TransactionSafe:
                Append(" transaction_safe");
                return;
            case DemangleKind.Noexcept:
                Append(" noexcept");
                if (mod.Right is not null)
                {
                    Append('(');
                    Comp(mod.Right);
                    Append(')');
                }

                return;
            case DemangleKind.ThrowSpec:
                Append(" throw");
                if (mod.Right is not null)
                {
                    Append('(');
                    Comp(mod.Right);
                    Append(')');
                }

                return;
            case DemangleKind.VendorTypeQual:
                Append(' ');
                Comp(mod.Right);
                return;
            case DemangleKind.Pointer:
                Append('*');
                return;
            case DemangleKind.ReferenceThis:
                Append(" &");
                return;
            case DemangleKind.Reference:
                Append('&');
                return;
            case DemangleKind.RvalueReferenceThis:
                Append(" &&");
                return;
            case DemangleKind.RvalueReference:
                Append("&&");
                return;
            case DemangleKind.Complex:
                Append(" _Complex");
                return;
            case DemangleKind.Imaginary:
                Append(" _Imaginary");
                return;
            case DemangleKind.PtrMemType:
                if (_lastChar != '(')
                    Append(' ');
                Comp(mod.Left);
                Append("::*");
                return;
            case DemangleKind.TypedName:
                Comp(mod.Left);
                return;
            case DemangleKind.VectorType:
                Append(" __vector(");
                Comp(mod.Left);
                Append(')');
                return;
            default:
                // Not something that goes back on the modifier stack: print it.
                Comp(mod);
                return;
        }
    }

    private void FunctionTypeText(DemangleNode dc, PrintMod? mods)
    {
        bool needParen = false;
        bool needSpace = false;
        for (var p = mods; p is not null; p = p.Next)
        {
            if (p.Printed)
                break;
            switch (p.Mod.Kind)
            {
                case DemangleKind.Pointer or DemangleKind.Reference or DemangleKind.RvalueReference:
                    needParen = true;
                    break;
                case DemangleKind.Restrict or DemangleKind.Volatile or DemangleKind.Const
                    or DemangleKind.VendorTypeQual or DemangleKind.Complex or DemangleKind.Imaginary
                    or DemangleKind.PtrMemType:
                    needSpace = true;
                    needParen = true;
                    break;
            }

            if (needParen)
                break;
        }

        if (needParen)
        {
            if (!needSpace && _lastChar != '(' && _lastChar != '*')
                needSpace = true;
            if (needSpace && _lastChar != ' ')
                Append(' ');
            Append('(');
        }

        var holdModifiers = _modifiers;
        _modifiers = null;
        ModList(mods, false);
        if (needParen)
            Append(')');
        Append('(');
        if (dc.Right is not null)
            Comp(dc.Right);
        Append(')');
        ModList(mods, true);
        _modifiers = holdModifiers;
    }

    private void ArrayTypeComp(DemangleNode dc)
    {
        // Pass the array down as a modifier so multi-dimensional arrays print correctly. A
        // cv-qualified array acts as if its element type were qualified: copy those modifiers.
        var holdModifiers = _modifiers;
        var adpm = new PrintMod[4];
        adpm[0] = new PrintMod { Next = holdModifiers, Mod = dc, Templates = _templates };
        _modifiers = adpm[0];
        int i = 1;
        for (var pdpm = holdModifiers;
             pdpm is not null && pdpm.Mod.Kind is DemangleKind.Restrict or DemangleKind.Volatile or DemangleKind.Const;
             pdpm = pdpm.Next)
        {
            if (pdpm.Printed)
                continue;
            if (i >= adpm.Length)
            {
                Error();
                return;
            }

            adpm[i] = new PrintMod();
            adpm[i].CopyFrom(pdpm);
            adpm[i].Next = _modifiers;
            _modifiers = adpm[i];
            pdpm.Printed = true;
            ++i;
        }

        Comp(dc.Right);
        _modifiers = holdModifiers;
        if (adpm[0].Printed)
            return;
        while (i > 1)
        {
            --i;
            Mod(adpm[i].Mod);
        }

        ArrayTypeText(dc, _modifiers);
    }

    private void ArrayTypeText(DemangleNode dc, PrintMod? mods)
    {
        bool needSpace = true;
        if (mods is not null)
        {
            bool needParen = false;
            for (var p = mods; p is not null; p = p.Next)
            {
                if (p.Printed)
                    continue;
                if (p.Mod.Kind == DemangleKind.ArrayType)
                {
                    needSpace = false;
                }
                else
                {
                    needParen = true;
                    needSpace = true;
                }

                break;
            }

            if (needParen)
                Append(" (");
            ModList(mods, false);
            if (needParen)
                Append(')');
        }

        if (needSpace)
            Append(' ');
        Append('[');
        if (dc.Left is not null)
            Comp(dc.Left);
        Append(']');
    }

    private void Conversion(DemangleNode dc)
    {
        // A conversion operator's type may use the enclosing template's parameters.
        var hold = _templates;
        if (_currentTemplate is not null)
            _templates = new PrintTemplate(_currentTemplate, _templates);

        var type = dc.Left;
        if (type is not { Kind: DemangleKind.Template })
        {
            Comp(type);
            _templates = hold;
            return;
        }

        Comp(type.Left);
        // The cast's own template arguments are printed with the outer scope restored.
        _templates = hold;
        if (_lastChar == '<')
            Append(' ');
        Append('<');
        Comp(type.Right);
        if (_lastChar == '>')
            Append(' ');
        Append('>');
    }

    // ---- expressions ----

    private void Subexpr(DemangleNode? dc)
    {
        bool simple = dc is { Kind: DemangleKind.Name or DemangleKind.QualName or DemangleKind.InitializerList or DemangleKind.FunctionParam };
        if (!simple)
            Append('(');
        Comp(dc);
        if (!simple)
            Append(')');
    }

    private void ExprOp(DemangleNode? dc)
    {
        if (dc is { Kind: DemangleKind.Operator })
            Append(dc.Operator!.Text);
        else
            Comp(dc);
    }

    private static string? OperatorCode(DemangleNode? op) => op is { Kind: DemangleKind.Operator } ? op.Operator!.Code : null;

    private void Unary(DemangleNode dc)
    {
        var op = dc.Left!;
        var operand = dc.Right;
        string? code = OperatorCode(op);
        if (code is not null)
        {
            if (code == "ad" && operand is { Kind: DemangleKind.TypedName, Left.Kind: DemangleKind.QualName, Right.Kind: DemangleKind.FunctionType })
            {
                // &A::f: no argument list for the address of a function.
                operand = operand.Left;
            }

            if (operand is { Kind: DemangleKind.BinaryArgs })
            {
                // A suffix operator (x++).
                Subexpr(operand.Left);
                ExprOp(op);
                return;
            }
        }

        if (code == "sZ")
        {
            // sizeof...(pack): print the pack length.
            AppendNum(PackLength(FindPack(operand, 0)));
            return;
        }

        if (code == "sP")
        {
            AppendNum(ArgsLength(operand));
            return;
        }

        if (op.Kind != DemangleKind.Cast)
        {
            ExprOp(op);
        }
        else
        {
            Append('(');
            Comp(op.Left);
            Append(')');
        }

        if (code == "gs")
        {
            Comp(operand); // no parentheses after '::'
        }
        else if (code == "st")
        {
            Append('(');
            Comp(operand);
            Append(')');
        }
        else
        {
            Subexpr(operand);
        }
    }

    private void Binary(DemangleNode dc)
    {
        var op = dc.Left!;
        var args = dc.Right;
        if (args is not { Kind: DemangleKind.BinaryArgs })
        {
            Error();
            return;
        }

        string code = OperatorCode(op) ?? "";
        if (op.Kind == DemangleKind.Operator && code[1] == 'c' && code[0] is 's' or 'd' or 'c' or 'r')
        {
            // static_cast<T>(e) and friends
            ExprOp(op);
            Append('<');
            Comp(args.Left);
            Append(">(");
            Comp(args.Right);
            Append(')');
            return;
        }

        if (MaybeFoldExpression(dc, code))
            return;
        if (MaybeDesignatedInit(dc, code))
            return;

        // An expression using '>' gets extra parentheses so it cannot end a template argument list.
        bool greater = op.Kind == DemangleKind.Operator && op.Operator!.Text == ">";
        if (greater)
            Append('(');

        if (code == "cl" && args.Left is { Kind: DemangleKind.TypedName } func)
        {
            // A call in an expression shows the callee without its parameter types.
            if (func.Right is not { Kind: DemangleKind.FunctionType })
                Error();
            Subexpr(func.Left);
        }
        else
        {
            Subexpr(args.Left);
        }

        if (code == "ix")
        {
            Append('[');
            Comp(args.Right);
            Append(']');
        }
        else
        {
            if (code != "cl")
                ExprOp(op);
            Subexpr(args.Right);
        }

        if (greater)
            Append(')');
    }

    private void Trinary(DemangleNode dc)
    {
        var op = dc.Left!;
        if (dc.Right is not { Kind: DemangleKind.TrinaryArg1 } arg1 || arg1.Right is not { Kind: DemangleKind.TrinaryArg2 } arg2)
        {
            Error();
            return;
        }

        string code = OperatorCode(op) ?? "";
        if (MaybeFoldExpression(dc, code))
            return;
        if (MaybeDesignatedInit(dc, code))
            return;

        var first = arg1.Left;
        var second = arg2.Left;
        var third = arg2.Right;
        if (code == "qu")
        {
            Subexpr(first);
            ExprOp(op);
            Subexpr(second);
            Append(" : ");
            Subexpr(third);
        }
        else
        {
            Append("new ");
            if (first?.Left is not null)
            {
                Subexpr(first);
                Append(' ');
            }

            Comp(second);
            if (third is not null)
                Subexpr(third);
        }
    }

    private bool MaybeFoldExpression(DemangleNode dc, string code)
    {
        if (code.Length < 2 || code[0] != 'f')
            return false;

        var ops = dc.Right!;
        var operatorNode = ops.Left;
        var op1 = ops.Right;
        DemangleNode? op2 = null;
        if (op1 is { Kind: DemangleKind.TrinaryArg2 })
        {
            op2 = op1.Right;
            op1 = op1.Left;
        }

        // Print the whole pack.
        int saveIndex = _packIndex;
        _packIndex = -1;
        switch (code[1])
        {
            case 'l': // (... + X)
                Append("(...");
                ExprOp(operatorNode);
                Subexpr(op1);
                Append(')');
                break;
            case 'r': // (X + ...)
                Append('(');
                Subexpr(op1);
                ExprOp(operatorNode);
                Append("...)");
                break;
            case 'L' or 'R': // (42 + ... + X), (X + ... + 42)
                Append('(');
                Subexpr(op1);
                ExprOp(operatorNode);
                Append(" ... ");
                ExprOp(operatorNode);
                Subexpr(op2);
                Append(')');
                break;
        }

        _packIndex = saveIndex;
        return true;
    }

    private bool MaybeDesignatedInit(DemangleNode dc, string code)
    {
        if (code.Length < 2 || code[0] != 'd' || code[1] is not ('i' or 'x' or 'X'))
            return false;

        var args = dc.Right!;
        Append(code[1] == 'i' ? '.' : '[');
        Comp(args.Left);
        var rhs = args.Right;
        if (code[1] == 'X')
        {
            Append(" ... ");
            Comp(rhs?.Left);
            rhs = rhs?.Right;
        }

        if (code[1] != 'i')
            Append(']');
        if (!IsDesignatedInit(rhs))
            Append('=');
        Comp(rhs);
        return true;
    }

    private static bool IsDesignatedInit(DemangleNode? dc)
    {
        if (dc is not { Kind: DemangleKind.Binary or DemangleKind.Trinary })
            return false;
        string? code = OperatorCode(dc.Left);
        return code is "di" or "dx" or "dX";
    }

    private void Literal(DemangleNode dc)
    {
        var type = dc.Left!;
        var value = dc.Right!;
        var tp = BuiltinPrint.Default;
        if (type.Kind == DemangleKind.BuiltinType)
        {
            tp = type.Builtin!.Print;
            switch (tp)
            {
                case BuiltinPrint.Int or BuiltinPrint.Unsigned or BuiltinPrint.Long or BuiltinPrint.UnsignedLong
                    or BuiltinPrint.LongLong or BuiltinPrint.UnsignedLongLong:
                    if (value.Kind == DemangleKind.Name)
                    {
                        if (dc.Kind == DemangleKind.LiteralNeg)
                            Append('-');
                        Comp(value);
                        Append(tp switch
                        {
                            BuiltinPrint.Unsigned => "u",
                            BuiltinPrint.Long => "l",
                            BuiltinPrint.UnsignedLong => "ul",
                            BuiltinPrint.LongLong => "ll",
                            BuiltinPrint.UnsignedLongLong => "ull",
                            _ => "",
                        });
                        return;
                    }

                    break;

                case BuiltinPrint.Bool:
                    if (value.Kind == DemangleKind.Name && value.Text.Length == 1 && dc.Kind == DemangleKind.Literal)
                    {
                        if (value.Text[0] == '0')
                        {
                            Append("false");
                            return;
                        }

                        if (value.Text[0] == '1')
                        {
                            Append("true");
                            return;
                        }
                    }

                    break;
            }
        }

        Append('(');
        Comp(type);
        Append(')');
        if (dc.Kind == DemangleKind.LiteralNeg)
            Append('-');
        if (tp == BuiltinPrint.Float)
            Append('[');
        Comp(value);
        if (tp == BuiltinPrint.Float)
            Append(']');
    }
}
