namespace CoreSleuth.Analysis.Symbols;

/// <summary>
/// Kinds of node in the tree built while parsing an Itanium C++ ABI mangled name.
/// The set and the meaning of Left/Right for each kind follow the GNU demangler
/// (libiberty), because the printer must reproduce GNU c++filt's output exactly.
/// </summary>
internal enum DemangleKind
{
    Name,
    QualName,
    LocalName,
    TypedName,
    TaggedName,
    Template,
    TemplateParam,
    FunctionParam,
    Ctor,
    Dtor,
    VTable,
    Vtt,
    ConstructionVTable,
    TypeInfo,
    TypeInfoName,
    TypeInfoFn,
    Thunk,
    VirtualThunk,
    CovariantThunk,
    JavaClass,
    Guard,
    TlsInit,
    TlsWrapper,
    RefTemp,
    HiddenAlias,
    SubStd,
    Restrict,
    Volatile,
    Const,
    RestrictThis,
    VolatileThis,
    ConstThis,
    ReferenceThis,
    RvalueReferenceThis,
    TransactionSafe,
    Noexcept,
    ThrowSpec,
    VendorTypeQual,
    Pointer,
    Reference,
    RvalueReference,
    Complex,
    Imaginary,
    BuiltinType,
    ExtendedBuiltinType,
    VendorType,
    FunctionType,
    ArrayType,
    PtrMemType,
    VectorType,
    ArgList,
    TemplateArgList,
    TemplateParamObject,
    InitializerList,
    Operator,
    ExtendedOperator,
    Cast,
    Conversion,
    Nullary,
    Unary,
    Binary,
    BinaryArgs,
    Trinary,
    TrinaryArg1,
    TrinaryArg2,
    Literal,
    LiteralNeg,
    VendorExpr,
    Number,
    Decltype,
    GlobalConstructors,
    GlobalDestructors,
    Lambda,
    DefaultArg,
    UnnamedType,
    TransactionClone,
    NonTransactionClone,
    PackExpansion,
    Clone,
    StructuredBinding,
    ModuleName,
    ModulePartition,
    ModuleEntity,
    ModuleInit,
    TemplateHead,
    TemplateTypeParm,
    TemplateNonTypeParm,
    TemplateTemplateParm,
    TemplatePackParm,
    JavaResource,
    CompoundName,
}

/// <summary>How a builtin type prints when it is the type of a literal (<c>L i 5 E</c> prints as <c>5</c>).</summary>
internal enum BuiltinPrint
{
    Default,
    Int,
    Unsigned,
    Long,
    UnsignedLong,
    LongLong,
    UnsignedLongLong,
    Bool,
    Float,
    Void,
}

internal sealed record BuiltinTypeInfo(string Name, BuiltinPrint Print);

/// <summary>An operator from the ABI's operator table: two-letter code, printed text, operand count.</summary>
internal sealed record OperatorInfo(string Code, string Text, int Arity);

/// <summary>
/// One node of the parse tree. Mutable on purpose: the parser patches a few links after the
/// fact (dropping the return type of an enclosing function in a local name, turning a
/// qualifier into a member-function qualifier), exactly as the GNU demangler does.
/// </summary>
internal sealed class DemangleNode(DemangleKind kind)
{
    public DemangleKind Kind { get; set; } = kind;
    public DemangleNode? Left { get; set; }
    public DemangleNode? Right { get; set; }

    /// <summary>Identifier text for <see cref="DemangleKind.Name"/> and <see cref="DemangleKind.SubStd"/>.</summary>
    public string Text { get; init; } = "";

    /// <summary>Parameter index, discriminator, lambda number, operand count of a vendor operator, ...</summary>
    public int Number { get; init; }

    public OperatorInfo? Operator { get; init; }
    public BuiltinTypeInfo? Builtin { get; init; }

    /// <summary>Suffix letter of an extended builtin such as <c>_Float32x</c> (0 when none).</summary>
    public char Suffix { get; init; }

    /// <summary>How many times this node is being printed right now (guards against cycles through template parameters).</summary>
    public int Printing { get; set; }
}
