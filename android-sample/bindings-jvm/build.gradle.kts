// The generated bindings built for a desktop JVM (uniffi `android = false`), so that :core-ui
// stays a plain Kotlin module: it compiles against these classes and runs its unit tests with
// them (and the host's libtrellis_ffi). The app does not use this module: it compiles the same
// API generated with `android = true` (see app/build.gradle.kts), so at run time on the phone
// core-ui's calls land in the Android flavour of the same classes.
plugins {
    alias(libs.plugins.kotlin.jvm)
}

kotlin {
    jvmToolchain(17)
    sourceSets["main"].kotlin.srcDir("src/generated/kotlin") // written by ../build-native.sh
}

dependencies {
    api(libs.jna)
    api(libs.kotlinx.coroutines.core)
}
