using CoreSleuth.Analysis.Symbols;

namespace CoreSleuth.Tests.Symbols;

/// <summary>
/// Hand-picked names covering the grammar. Every expected string is what GNU c++filt
/// (binutils 2.40) printed for the name when the case was written; a name c++filt leaves
/// unchanged is one it refuses, and the demangler must refuse it too.
/// </summary>
public sealed class ItaniumDemanglerTests
{
    public static readonly TheoryData<string, string> CxxFiltCases = new()
    {
        // Plain functions, members, internal linkage
        { "_Z7my_openPKcim", "my_open(char const*, int, unsigned long)" },
        { "_ZN7mysqlnd4openEPKci", "mysqlnd::open(char const*, int)" },
        { "_ZNK3Foo3barEv", "Foo::bar() const" },
        { "_ZL11local_counti", "local_count(int)" },

        // Special names: vtables, typeinfo, VTT, thunks, construction vtables, guards, temporaries
        { "_ZTV4Base", "vtable for Base" },
        { "_ZTI4Base", "typeinfo for Base" },
        { "_ZTS4Base", "typeinfo name for Base" },
        { "_ZTT7Derived", "VTT for Derived" },
        { "_ZThn16_N7Derived3runEv", "non-virtual thunk to Derived::run()" },
        { "_ZTv0_n24_N7Derived3runEv", "virtual thunk to Derived::run()" },
        { "_ZTC7Derived0_4Base", "construction vtable for Base-in-Derived" },
        { "_ZGVZ4mainE7counter", "guard variable for main::counter" },
        { "_ZGRZ4mainE4temp_", "reference temporary #0 for main::temp" },

        // Local names and the anonymous namespace
        { "_ZZ4mainE7counter", "main::counter" },
        { "_ZZ4mainE7counter_0", "main::counter" },
        { "_ZZN3Foo3barEvE6buffer", "Foo::bar()::buffer" },
        { "_ZN12_GLOBAL__N_16workerEv", "(anonymous namespace)::worker()" },

        // Templates, substitutions and the std:: abbreviations (printed in full, as c++filt does)
        { "_Z3maxIiET_S0_S0_", "int max<int>(int, int)" },
        { "_ZSt4swapIiEvRT_S1_", "void std::swap<int>(int&, int&)" },
        { "_ZNSaIcED1Ev", "std::allocator<char>::~allocator()" },
        { "_ZNSsC1EPKcRKSaIcE", "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string(char const*, std::allocator<char> const&)" },
        { "_ZNSi3getEv", "std::basic_istream<char, std::char_traits<char> >::get()" },
        { "_ZNSo5flushEv", "std::basic_ostream<char, std::char_traits<char> >::flush()" },
        { "_ZNSdD0Ev", "std::basic_iostream<char, std::char_traits<char> >::~basic_iostream()" },
        { "_ZNKSbIwSt11char_traitsIwESaIwEE4sizeEv", "std::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >::size() const" },
        { "_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEC1ERKS4_", "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&)" },
        { "_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE5c_strEv", "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::c_str() const" },
        { "_ZStlsISt11char_traitsIcEERSt13basic_ostreamIcT_ES5_PKc", "std::basic_ostream<char, std::char_traits<char> >& std::operator<< <std::char_traits<char> >(std::basic_ostream<char, std::char_traits<char> >&, char const*)" },
        { "_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)" },

        // Packs, nullptr, function and member pointers, arrays
        { "_Z5applyIJidEEvDpT_", "void apply<int, double>(int, double)" },
        { "_Z4callIJRiEEvDpOT_", "void call<int&>(int&)" },
        { "_Z1fDn", "f(decltype(nullptr))" },
        { "_Z1fPFviE", "f(void (*)(int))" },
        { "_Z1fPFPFivEvE", "f(int (*(*)())())" },
        { "_Z1fM3FooFivE", "f(int (Foo::*)())" },
        { "_Z1fM3FooKFivE", "f(int (Foo::*)() const)" },
        { "_Z1fM3Fooi", "f(int Foo::*)" },
        { "_Z1fRA10_Ki", "f(int const (&) [10])" },
        { "_Z1fPA3_A4_d", "f(double (*) [3][4])" },

        // Expressions in decltype and template arguments, literals
        { "_Z1fIiEDTplfp_fp_ET_", "decltype ({parm#1}+{parm#1}) f<int>(int)" },
        { "_Z1fIiEDTcl1gfp_EET_", "decltype (g({parm#1})) f<int>(int)" },
        { "_Z1fILi42EEvv", "void f<42>()" },
        { "_Z1fILin7EEvv", "void f<-7>()" },
        { "_Z1fILb1EEvv", "void f<true>()" },
        { "_Z1fILj3EEvv", "void f<3u>()" },
        { "_Z1fILm3EEvv", "void f<3ul>()" },
        { "_Z1fILc65EEvv", "void f<(char)65>()" },
        { "_Z1fIXadL_Z1gvEEEvv", "void f<&(g())>()" },

        // ABI tags, lambdas, unnamed types, clone suffixes
        { "_Z3getB5cxx11v", "get[abi:cxx11]()" },
        { "_ZNKSt3__112basic_stringIcNS_11char_traitsIcEENS_9allocatorIcEEE4sizeEv", "std::__1::basic_string<char, std::__1::char_traits<char>, std::__1::allocator<char> >::size() const" },
        { "_ZNSt3__14pairIiiEC2B7v160006Ev", "std::__1::pair<int, int>::pair[abi:v160006]()" },
        { "_ZZ4mainENKUlvE_clEv", "main::{lambda()#1}::operator()() const" },
        { "_ZZ4mainENKUliE0_clEi", "main::{lambda(int)#2}::operator()(int) const" },
        { "_ZN3FooUt_E", "Foo::{unnamed type#1}" },
        { "_Z6handlev.cold", "handle() [clone .cold]" },
        { "_Z6handlev.isra.0", "handle() [clone .isra.0]" },
        { "_Z6handlev.constprop.0", "handle() [clone .constprop.0]" },
        { "_Z6handlev.part.0.isra.0", "handle() [clone .part.0] [clone .isra.0]" },

        // Operators
        { "_ZN3FooaSERKS_", "Foo::operator=(Foo const&)" },
        { "_ZN3FoolsEi", "Foo::operator<<(int)" },
        { "_ZN3FooclEv", "Foo::operator()()" },
        { "_ZN3FooixEm", "Foo::operator[](unsigned long)" },
        { "_ZN3FoocviEv", "Foo::operator int()" },
        { "_ZN3FoonwEm", "Foo::operator new(unsigned long)" },
        { "_ZN3FoodaEPv", "Foo::operator delete[](void*)" },

        // Vendor qualifiers, complex, exception specifications, ref-qualifiers, cv collapsing
        { "_Z1fU8__vectori", "f(int __vector)" },
        { "_Z1fCd", "f(double _Complex)" },
        { "_Z1fPDoFvvE", "f(void (*)() noexcept)" },
        { "_ZNKR3Foo3getEv", "Foo::get() const &" },
        { "_ZNKO3Foo3getEv", "Foo::get() const &&" },
        { "_Z1fPVKi", "f(int const volatile*)" },
        { "_Z1fIKiEvRKT_", "void f<int const>(int const&)" },

        // Miscellaneous library symbols
        { "_ZNSt8ios_base4InitC1Ev", "std::ios_base::Init::Init()" },
        { "_ZNSt13basic_fstreamIcSt11char_traitsIcEED2Ev", "std::basic_fstream<char, std::char_traits<char> >::~basic_fstream()" },
        { "_ZTHN3Foo5countE", "TLS init function for Foo::count" },
        { "_ZTWN3Foo5countE", "TLS wrapper function for Foo::count" },
        { "_Z1fIiEDTsr1A1BE1xET_", "decltype (A::B::x) f<int>(int)" },
        { "_Z1fIiEDTclsr1AE1xIiEEET_", "decltype ((A::x<int>)()) f<int>(int)" },
        { "_ZN4llvm10checkedAddIiEENSt9enable_ifIXsr3std9is_signedIT_EE5valueENS_8OptionalIS2_EEE4typeES2_S2_", "std::enable_if<std::is_signed<int>::value, llvm::Optional<int> >::type llvm::checkedAdd<int>(int, int)" },

        // <unresolved-name> with the old grammar: only parses when the whole name is retried with it
        { "_Z1fIiEDTsr1A1xE1B", "decltype (A::x) f<int>(B)" },
        { "_Z1fIiEDTsr1A1BE1xEi", "decltype (A::B::x) f<int>(int)" },

        // Rarer special names: gcj resources, C++20 modules, lambda template heads
        { "_ZGr3_S3", "java resource S3" },
        { "_ZGIW3foo", "initializer for module foo" },
        { "_ZNW4llvm11LLVMContextD1Ev", "LLVMContext@llvm::~LLVMContext()" },
        { "_ZZ1fvENKUlTyT_E_clIiEEDaS_", "auto f()::{lambda<typename $T0>($T0)#1}::operator()<int>(int) const" },
        { "_ZN9__gnu_cxx13new_allocatorIcED2Ev", "__gnu_cxx::new_allocator<char>::~new_allocator()" },
        { "_ZdlPvm", "operator delete(void*, unsigned long)" },
        { "_Znwm", "operator new(unsigned long)" },
        { "_ZdaPv", "operator delete[](void*)" },
        { "_ZSt9terminatev", "std::terminate()" },
        { "_ZNSt9exceptionD2Ev", "std::exception::~exception()" },
        { "_ZZ1fvEs", "f()::string literal" },
        { "_Z1fDpPi", "f((int*)...)" },
        { "_Z1fIJEEvv", "void f<>()" },
        { "_Z1fIiJEEvv", "void f<int>()" },
        { "_Z1gIJ1AIiEEEvv", "void g<A<int> >()" },
        { "_GLOBAL__I_main", "global constructors keyed to main" },
    };

    [Theory]
    [MemberData(nameof(CxxFiltCases))]
    public void PrintsWhatCxxFiltPrints(string mangled, string expected)
    {
        Assert.Equal(expected, ItaniumDemangler.Demangle(mangled));
        Assert.True(ItaniumDemangler.TryDemangle(mangled, out var demangled));
        Assert.Equal(expected, demangled);
    }

    /// <summary>Names c++filt 2.40 leaves unchanged (checked when written).</summary>
    [Theory]
    [InlineData("_Z")]
    [InlineData("_Z1")]
    [InlineData("_Zv")]
    [InlineData("main")]
    [InlineData("__Z1fv")]
    [InlineData("_ZN3Foo")] // nested name without its E
    [InlineData("_Z3fooPq")] // no type 'q'
    [InlineData("_Z1fS_")] // substitution with nothing to refer to
    [InlineData("_Z1fT_")] // template parameter outside a template: fails when printed
    [InlineData("_Z5abc")] // source name longer than the rest
    [InlineData("_Z1fv.")] // a dot with no clone suffix after it
    [InlineData("_Z1fIiEv")] // template function without its return type
    [InlineData("_ZZ1fvE")] // local name without the entity
    [InlineData("_Z0v")]
    [InlineData("_Z1fDx")] // transaction_safe qualifier without its type
    [InlineData("_ZC1Ev")] // constructor with no class name before it
    [InlineData("_GLOBAL__sub_I_foo.cpp")] // not the _GLOBAL__I_ form
    [InlineData("")]
    public void RefusesWhatCxxFiltRefuses(string mangled)
    {
        Assert.Null(ItaniumDemangler.Demangle(mangled));
        Assert.False(ItaniumDemangler.TryDemangle(mangled, out var echoed));
        Assert.Equal(mangled, echoed);
    }

    [Fact]
    public void NullIsRefusedWithoutThrowing()
    {
        Assert.Null(ItaniumDemangler.Demangle(null!));
        Assert.False(ItaniumDemangler.TryDemangle(null!, out var echoed));
        Assert.Equal("", echoed);
    }

    /// <summary>
    /// GNU's demangler gives up on names longer than 1024 characters (its component budget is
    /// twice the length and is capped at 2048); c++filt printed the first of these demangled and
    /// echoed the second.
    /// </summary>
    [Fact]
    public void AcceptsUpTo1024CharactersLikeGnu()
    {
        string Name(int total)
        {
            // _Z <len> <identifier> v, with the identifier sized to reach the total length
            int idLen = total - 2 - 4 - 1;
            return "_Z" + idLen.ToString(System.Globalization.CultureInfo.InvariantCulture) + new string('a', idLen) + "v";
        }

        var atLimit = Name(1024);
        var overLimit = Name(1025);
        Assert.Equal(1024, atLimit.Length);
        Assert.Equal(new string('a', 1024 - 7) + "()", ItaniumDemangler.Demangle(atLimit));
        Assert.Null(ItaniumDemangler.Demangle(overLimit));
    }

    /// <summary>c++filt printed <c>f(int***...*)</c> with one star per 'P' for this 1024-character name.</summary>
    [Fact]
    public void DeepPointerChainAtTheLengthLimit()
    {
        var mangled = "_Z1f" + new string('P', 1019) + "i";
        Assert.Equal("f(int" + new string('*', 1019) + ")", ItaniumDemangler.Demangle(mangled));
    }
}
