from msp_assessment.cli import main

main()
