@echo off
rem Installs ChartGuard for every user of this PC, silently, with its machine
rem config. Run as an administrator (or as SYSTEM from SCCM, Intune or a GPO
rem startup script), with the .msi and config.toml beside this script:
rem
rem   install.cmd                                  the one ChartGuard_*.msi here
rem   install.cmd ChartGuard_0.1.0_x64_zh-CN.msi
rem
rem msiexec installs it into "%ProgramFiles%\ChartGuard" with no window and
rem logs to "%TEMP%\ChartGuard-install.log"; config.toml becomes
rem "%ProgramData%\ChartGuard\config.toml", which Administrators and SYSTEM
rem may change and every other user may only read. Run again to upgrade or
rem to replace the config. Exit code: 0, or 3010 when Windows wants a restart.
rem Uninstall: msiexec /x ChartGuard_0.1.0_x64_zh-CN.msi /qn /norestart
rem (the same .msi), then rmdir /s /q "%ProgramData%\ChartGuard".
rem docs\it-guide.md, "Install", says the rest. Never run by the project's
rem CI, which has no Windows: try it on one PC before rolling it out.
setlocal EnableExtensions

set "here=%~dp0"
net session >nul 2>&1
if errorlevel 1 (
  echo install.cmd: run as an administrator 1>&2
  exit /b 1
)

set "msi=%~f1"
if "%~1"=="" (
  set count=0
  for %%f in ("%here%ChartGuard_*.msi") do (
    set /a count+=1
    set "msi=%%~ff"
  )
)
if "%~1"=="" if not "%count%"=="1" (
  echo install.cmd: put one ChartGuard_*.msi beside this script, or name it 1>&2
  exit /b 1
)
if not exist "%msi%" (
  echo install.cmd: no such package: "%msi%" 1>&2
  exit /b 1
)
if not exist "%here%config.toml" (
  echo install.cmd: config.toml is missing beside this script 1>&2
  exit /b 1
)

set "log=%TEMP%\ChartGuard-install.log"
start "" /wait msiexec.exe /i "%msi%" /qn /norestart /l*v "%log%"
set "rc=%errorlevel%"
if "%rc%"=="3010" goto :config
if not "%rc%"=="0" (
  echo install.cmd: msiexec failed with exit code %rc%, see "%log%" 1>&2
  exit /b %rc%
)

:config
rem Administrators (S-1-5-32-544) and SYSTEM (S-1-5-18) may change the folder
rem and its files, Users (S-1-5-32-545) may only read them. SIDs, not names:
rem the names change with the language of Windows.
set "dir=%ProgramData%\ChartGuard"
if not exist "%dir%\" (
  mkdir "%dir%" || exit /b 1
)
rem Any user may create folders in ProgramData: one made before this script
rem ran belongs to them. Administrators take it over, and every right given
rem on it or inside it is dropped before the rights below are set.
icacls "%dir%" /setowner *S-1-5-32-544 /T /C >nul || exit /b 1
icacls "%dir%" /reset /T /C >nul || exit /b 1
icacls "%dir%" /inheritance:r /grant:r *S-1-5-32-544:(OI)(CI)F *S-1-5-18:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX >nul || exit /b 1
copy /y "%here%config.toml" "%dir%\config.toml" >nul || exit /b 1
rem An older copy may carry rights of its own: take the folder's.
icacls "%dir%\config.toml" /reset >nul || exit /b 1

echo installed "%msi%"; config in "%dir%\config.toml"
echo then check the workstation as a user who will use ChartGuard: docs\it-guide.md, "Install"
exit /b %rc%
