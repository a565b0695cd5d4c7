// CI-only stub, never part of the app: the few members of android.os.Build that the
// `android = true` Kotlin bindings use, so scripts/bindings.sh can compile that flavour with
// kotlinc on a desktop JVM. On a phone the real class is used. SDK_INT is 0 here, so the
// bindings take their JNA cleaner, as on a phone before Android 14; it is read at run time
// (not a constant kotlinc would inline), as the real field is.
package android.os;

public final class Build {
    private Build() {}

    public static final class VERSION {
        private VERSION() {}

        public static final int SDK_INT = Integer.getInteger("android.os.Build.SDK_INT", 0);
    }

    public static final class VERSION_CODES {
        private VERSION_CODES() {}

        public static final int UPSIDE_DOWN_CAKE = 34;
    }
}
