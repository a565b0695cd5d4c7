// CI-only stub, never part of the app: android.system.SystemCleaner (API 33) as the
// `android = true` Kotlin bindings call it, for scripts/bindings.sh's desktop compile. Not
// reached there (the stub Build.VERSION.SDK_INT is 0); on a phone the real class is used.
package android.system;

import java.lang.ref.Cleaner;

public final class SystemCleaner {
    private SystemCleaner() {}

    public static Cleaner cleaner() {
        throw new UnsupportedOperationException("CI stub: android.system.SystemCleaner exists only on Android");
    }
}
