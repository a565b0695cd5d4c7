/* Stand-in for the iOS side (no Swift toolchain here): the generated TrellisCoreFFI.h must
 * parse as C, and the symbols the Swift bindings call must link from the Rust staticlib. */
#include <stdio.h>
#include "TrellisCoreFFI.h"

int main(void) {
    uint32_t version = ffi_trellis_ffi_uniffi_contract_version();
    uint16_t open = uniffi_trellis_ffi_checksum_constructor_trellisstore_open();
    uint16_t sync = uniffi_trellis_ffi_checksum_method_trellisstore_sync();
    uint16_t hint = uniffi_trellis_ffi_checksum_func_note_privacy_hint();
    uint16_t referral = uniffi_trellis_ffi_checksum_method_trellisstore_add_referral();
    uint16_t report = uniffi_trellis_ffi_checksum_method_trellisstore_stock_report();
    printf("contract_version=%u checksum(open)=%u checksum(sync)=%u checksum(note_privacy_hint)=%u "
           "checksum(add_referral)=%u checksum(stock_report)=%u\n",
           version, open, sync, hint, referral, report);
    /* A checksum may be any u16, 0 included; swift_checksums.py compares them with the Swift. */
    return version == 0 ? 1 : 0;
}
