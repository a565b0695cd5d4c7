// Platform-free screen state and formatting: no Android imports, only the generated bindings'
// API. CI (scripts/bindings.sh) compiles it and runs its tests with kotlinc on a desktop JVM.
plugins {
    alias(libs.plugins.kotlin.jvm)
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // compileOnly: the app brings the Android flavour of the same classes at run time.
    compileOnly(project(":bindings-jvm"))
    implementation(libs.kotlinx.coroutines.core)

    testImplementation(project(":bindings-jvm"))
    testImplementation(libs.junit)
    testImplementation(kotlin("test"))
}

tasks.test {
    // The host build of the native library (../build-native.sh --host builds it).
    systemProperty("jna.library.path", rootProject.file("../target/debug").absolutePath)
}
