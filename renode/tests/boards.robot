# Untested here: Renode cannot be installed on this machine (not in Debian, NuGet or npm); renode/run-tests.sh runs this
# where renode-test is on PATH and reports each case skipped, with that reason, elsewhere.
*** Settings ***
Suite Setup       Setup
Suite Teardown    Teardown
Test Teardown     Test Teardown
Resource          ${RENODEKEYWORDS}
Library           Process

*** Variables ***
${ROOT}           ${CURDIR}/../..

*** Keywords ***
Boot
    [Arguments]    ${board}    ${app}
    Execute Command    $elf=@${ROOT}/build/${board}/app/${app}.elf
    Execute Command    $pty=@/tmp/nt-robot-${board}
    Execute Script     ${ROOT}/renode/scripts/${board}.resc

Trains Through The Protocol
    [Arguments]    ${board}
    ${plan}=    Run Process    ${ROOT}/nanotrain    plan    --board    ${board}    --method    last-layer    --out    /tmp/nt-robot-${board}.ntplan
    Should Be Equal As Integers    ${plan.rc}    0    ${plan.stderr}
    Boot    ${board}    trainer
    ${run}=    Run Process    ${ROOT}/nanotrain    run    --board    ${board}    --plan    /tmp/nt-robot-${board}.ntplan
    ...    --port    /tmp/nt-robot-${board}    --load    uart    --train    20    --test    20    --json    /tmp/nt-robot-${board}.json
    ...    timeout=30 min
    Should Be Equal As Integers    ${run.rc}    0    ${run.stderr}
    ${json}=    Get File    /tmp/nt-robot-${board}.json
    Should Contain    ${json}    "instructionsPerStep"

*** Test Cases ***
STM32F746G-DISCO Trains Through The Protocol
    Trains Through The Protocol    stm32f746-disco

NUCLEO-H743ZI Trains Through The Protocol
    Trains Through The Protocol    nucleo-h743zi
